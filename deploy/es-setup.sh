#!/usr/bin/env bash
# Creates Maillon's Elasticsearch role and user (run once by the es-setup service; idempotent).
# The privileges are the ones README.md lists: nothing on other indices, no security admin.
set -euo pipefail

refuse_placeholder() {  # name value
  case "${2:-}" in
    ""|change-me*|changeme|password|elastic|maillon)
      echo "es-setup: $1 is empty or a placeholder: set a long random value in deploy/.env" >&2; exit 1;;
  esac
  if [ "${#2}" -lt 12 ]; then echo "es-setup: $1 is shorter than 12 characters" >&2; exit 1; fi
}
refuse_placeholder ELASTIC_PASSWORD "${ELASTIC_PASSWORD:-}"
refuse_placeholder MAILLON_ES_PASSWORD "${MAILLON_ES_PASSWORD:-}"

ES=http://elasticsearch:9200
PREFIX="${ES_INDEX_PREFIX:-maillon}"
call() {  # method path body
  curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -X "$1" -H 'Content-Type: application/json' "$ES$2" -d "$3"
  echo
}

call PUT /_security/role/maillon_app "{
  \"cluster\": [\"monitor\"],
  \"indices\": [{\"names\": [\"${PREFIX}-*\"],
                 \"privileges\": [\"read\", \"write\", \"create_index\", \"delete_index\", \"manage\",
                                  \"view_index_metadata\"]}]
}"
call PUT /_security/user/maillon "{\"password\": \"${MAILLON_ES_PASSWORD}\", \"roles\": [\"maillon_app\"],
  \"full_name\": \"Maillon application\"}"
echo "es-setup: role maillon_app and user maillon ready for indices ${PREFIX}-*"
