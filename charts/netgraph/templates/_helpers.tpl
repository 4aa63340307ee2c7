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

{{/* What selects the operator's pods: the release's, and its component. */}}
{{- define "netgraph.operatorSelectorLabels" -}}
{{ include "netgraph.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
The names the operator's port is reached by, comma-separated: the Service's, then
operator.tls.extraSans. In its certificate and its Host allow-list (--tls-san).
*/}}
{{- define "netgraph.operatorSans" -}}
{{- $svc := printf "%s-operator" (include "netgraph.fullname" .) }}
{{- $ns := .Release.Namespace }}
{{- $own := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- concat $own .Values.operator.tls.extraSans | join "," }}
{{- end }}

{{/*
The certificate every operator replica serves when operator.tls.secretName names none,
as the data of a kubernetes.io/tls Secret (YAML): a CA and a certificate it signs for
the port's names. Made once; later renders keep the release's (lookup) while the names
are the same, so clients' pins hold across upgrades. Without access to the cluster
(`helm template`) each render makes a new one.
*/}}
{{- define "netgraph.operatorGeneratedTls" -}}
{{- $name := printf "%s-operator-tls" (include "netgraph.fullname" .) }}
{{- $sans := include "netgraph.operatorSans" . }}
{{- $old := lookup "v1" "Secret" .Release.Namespace $name }}
{{- if and $old (eq (dig "metadata" "annotations" "netgraph.dev/sans" "" $old) $sans) }}
{{- toYaml $old.data }}
{{- else }}
{{- $ips := list }}
{{- $dns := list }}
{{- range splitList "," $sans }}
{{- if regexMatch "^[0-9.]+$|:" . }}
{{- $ips = append $ips . }}
{{- else }}
{{- $dns = append $dns . }}
{{- end }}
{{- end }}
{{- $ca := genCA (printf "%s-operator-ca" (include "netgraph.fullname" .)) 3650 }}
{{- $cert := genSignedCert (first $dns) $ips $dns 3650 $ca }}
{{- toYaml (dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc)) }}
{{- end }}
{{- end }}
