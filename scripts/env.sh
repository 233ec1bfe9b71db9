# Shared defaults for every script and make target (sourced, not run). Override any of them
# in the environment. Runtime state lives under var/ (ignored by git).
: "${VAR_DIR:=$PWD/var}"
: "${RASA_PORT:=5005}"
: "${ACTION_PORT:=5055}"
: "${WEB_PORT:=8000}"
: "${BIND_HOST:=127.0.0.1}"
: "${DATABASE_URL:=sqlite:///$VAR_DIR/secondread.db}"
# Rasa (SQLAlchemy 1.4 with psycopg2) uses the same database under the plain driver name.
: "${TRACKER_URL:=${DATABASE_URL/+psycopg/}}"
case "$TRACKER_URL" in
  postgres*) : "${TRACKER_DIALECT:=postgresql}" ;;
  *) : "${TRACKER_DIALECT:=sqlite}" ;;
esac
: "${LOCK_STORE:=in_memory}"
: "${REDIS_HOST:=127.0.0.1}"
: "${ACTION_ENDPOINT_URL:=http://127.0.0.1:$ACTION_PORT/webhook}"
: "${RASA_URL:=http://127.0.0.1:$RASA_PORT}"
: "${MODEL_DIR:=$VAR_DIR/models}"
: "${MODEL_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/secondread/models}"
export VAR_DIR RASA_PORT ACTION_PORT WEB_PORT BIND_HOST DATABASE_URL TRACKER_URL TRACKER_DIALECT \
  LOCK_STORE REDIS_HOST ACTION_ENDPOINT_URL RASA_URL \
  MODEL_DIR MODEL_CACHE_DIR
mkdir -p "$VAR_DIR" "$MODEL_DIR" "$VAR_DIR/logs"
# Python warnings and TensorFlow's start-up chatter hide the useful lines.
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false  # no usage data or crash reports leave this machine
# The NLU's sentence encoder is read from disk (requirements/rasa-lm.txt); never ask a model hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Development keys, generated once per VAR_DIR; set real ones in the environment in production.
if [ -z "${SECONDREAD_SECRET_KEY:-}" ]; then
  [ -s "$VAR_DIR/secret-key" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$VAR_DIR/secret-key")
  SECONDREAD_SECRET_KEY=$(cat "$VAR_DIR/secret-key")
fi
if [ -z "${SECONDREAD_STORAGE_KEY:-}" ]; then
  [ -s "$VAR_DIR/storage-key" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$VAR_DIR/storage-key")
  SECONDREAD_STORAGE_KEY=$(cat "$VAR_DIR/storage-key")
fi
: "${PUBLIC_URL:=http://127.0.0.1:$WEB_PORT}"
export SECONDREAD_SECRET_KEY SECONDREAD_STORAGE_KEY PUBLIC_URL
