{{- define "hookd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hookd.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hookd.labels" -}}
{{ include "hookd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "hookd.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret with the database URL and the encryption key: the operator's, or the chart's. */}}
{{- define "hookd.secretName" -}}
{{- if .Values.existingSecret -}}
{{ .Values.existingSecret }}
{{- else -}}
{{- if not (and .Values.secrets.databaseURL .Values.secrets.encryptionKey) -}}
{{- fail "hookd needs a PostgreSQL URL and an encryption key: set existingSecret to a Secret holding them, or secrets.databaseURL and secrets.encryptionKey" -}}
{{- end -}}
{{ include "hookd.fullname" . }}
{{- end -}}
{{- end -}}

{{/* Environment of every hookd container: secrets by reference, then the plain env. */}}
{{- define "hookd.env" -}}
- name: HOOKD_DATABASE
  valueFrom:
    secretKeyRef:
      name: {{ include "hookd.secretName" . }}
      key: {{ .Values.secretKeys.databaseURL }}
- name: HOOKD_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "hookd.secretName" . }}
      key: {{ .Values.secretKeys.encryptionKey }}
- name: HOOKD_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "hookd.secretName" . }}
      key: {{ .Values.secretKeys.adminKey }}
      optional: true
- name: HOOKD_ADDR
  value: ":8080"
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* The nodes: API (serve --no-workers) and delivery workers (worker). */}}
{{- define "hookd.components" -}}
api:
  args: ["serve", "--no-workers"]
worker:
  args: ["worker"]
{{- end -}}
