{{/* The chart's name: nameOverride, else netgraph. */}}
{{- define "netgraph.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: fullnameOverride, else the release name when it
already holds the chart's name (`helm install netgraph` gives netgraph-operator), else
<release>-<name>. 52 characters leave room for the longest suffix (-operator-cert).
*/}}
{{- define "netgraph.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The prefix of cluster-scoped names (ClusterRoles and their bindings): releases of the same
name in two namespaces must not share them, so the namespace is part of it unless it is
the fullname already (`helm install netgraph -n netgraph` keeps netgraph-operator).
*/}}
{{- define "netgraph.clusterPrefix" -}}
{{- $full := include "netgraph.fullname" . }}
{{- if eq .Release.Namespace $full }}
{{- $full }}
{{- else }}
{{- printf "%s-%s" $full .Release.Namespace | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "netgraph.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* What selects a release's pods: the chart's name and the release. */}}
{{- define "netgraph.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netgraph.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Every object's labels: Helm's recommended set, then commonLabels. */}}
{{- define "netgraph.labels" -}}
helm.sh/chart: {{ include "netgraph.chart" . }}
{{ include "netgraph.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: netgraph
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "netgraph.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "netgraph.operatorServiceAccount" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (printf "%s-operator" (include "netgraph.fullname" .)) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "netgraph.gadgetServiceAccount" -}}
{{- if .Values.gadget.serviceAccount.create }}
{{- default (printf "%s-gadget" (include "netgraph.fullname" .)) .Values.gadget.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.gadget.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The label selector of the release's operator and agent pods (the uninstall hook waits for them to go). */}}
{{- define "netgraph.podsSelector" -}}
app.kubernetes.io/name={{ include "netgraph.name" . }},app.kubernetes.io/instance={{ .Release.Name }},app.kubernetes.io/component in (operator,gadget)
{{- end }}
