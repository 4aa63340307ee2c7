# shellcheck shell=bash disable=SC2154  # settings and state come from hack/testbed
# Certificates and kubeconfigs for the test bed, sourced by hack/testbed.
# EC P-256 keys: generating them takes milliseconds, which keeps a warm `up` fast,
# and every component (including service-account token signing, ES256) accepts them.

# The extensions of a client certificate.
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'

# new_key FILE: a fresh EC private key.
new_key() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null
  chmod 600 "$1"
}

# sign_cert NAME SUBJECT EXTENSIONS: key + CSR for NAME, signed by the test bed CA.
sign_cert() {
  local name=$1 subject=$2 ext=$3 pki=$dir/pki
  new_key "$pki/$name.key"
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  printf '%b\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# make_pki: the CA, the apiserver's serving cert, one client cert per component,
# and the service-account signing key pair.
make_pki() {
  local pki=$dir/pki client=$client_ext
  mkdir -p "$pki"
  new_key "$pki/ca.key"
  openssl req -x509 -new -key "$pki/ca.key" -subj '/CN=netgraph-testbed-ca' -days 30 -sha256 \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
    -out "$pki/ca.crt" 2>/dev/null

  # The apiserver is reached at the control-plane address from the host and real pods,
  # and as the kubernetes Service (10.96.0.1 and its DNS names) from workloads.
  local sans="IP:$cp_ip,IP:127.0.0.1,IP:::1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
  sans+=',DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
  [ "$ipv6" = 1 ] && sans+=',IP:fd00:10:96::1'
  sign_cert apiserver '/CN=kube-apiserver' \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=$sans"

  # Client identities: the admin is in system:masters; the controller manager and
  # kube-proxy use the names the RBAC bootstrap policy already grants rights to.
  sign_cert admin '/O=system:masters/CN=netgraph-testbed-admin' "$client"
  sign_cert controller-manager '/CN=system:kube-controller-manager' "$client"
  sign_cert kube-proxy '/CN=system:kube-proxy' "$client"
  sign_cert kube-scheduler '/CN=system:kube-scheduler' "$client"
  # The apiserver's identity towards kubelets (kubectl logs, exec).
  sign_cert apiserver-kubelet-client '/O=system:masters/CN=kube-apiserver-kubelet-client' "$client"

  new_key "$pki/sa.key"
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# write_kubeconfig FILE CERTNAME: a kubeconfig for $cp_ip:$api_port with the
# certificates embedded, so the file can be copied elsewhere and still work.
write_kubeconfig() {
  local file=$1 who=$2 pki=$dir/pki
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: netgraph-testbed
  cluster:
    server: https://$cp_ip:$api_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 "$pki/$who.crt")
    client-key-data: $(base64 -w0 "$pki/$who.key")
contexts:
- name: netgraph-testbed
  context:
    cluster: netgraph-testbed
    user: $who
current-context: netgraph-testbed
EOF
  chmod 600 "$file"
}
