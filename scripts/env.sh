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
: "${REDIS_PORT:=6379}"
: "${REDIS_DB:=1}"
: "${REDIS_PASSWORD:=}"  # a secret: set it in the environment, never in a file of the repository
: "${ACTION_ENDPOINT_URL:=http://127.0.0.1:$ACTION_PORT/webhook}"
: "${RASA_URL:=http://127.0.0.1:$RASA_PORT}"
: "${MODEL_DIR:=$VAR_DIR/models}"
: "${MODEL_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/secondread/models}"
export VAR_DIR RASA_PORT ACTION_PORT WEB_PORT BIND_HOST DATABASE_URL TRACKER_URL TRACKER_DIALECT \
  LOCK_STORE REDIS_HOST REDIS_PORT REDIS_DB REDIS_PASSWORD ACTION_ENDPOINT_URL RASA_URL \
  MODEL_DIR MODEL_CACHE_DIR
mkdir -p "$VAR_DIR" "$MODEL_DIR" "$VAR_DIR/logs"
# Python warnings and TensorFlow's start-up chatter hide the useful lines.
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false  # no usage data or crash reports leave this machine
# The NLU's sentence encoder is read from disk (requirements/rasa-lm.txt); never ask a model hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Development mode: the scripts and make targets of this checkout run with SECONDREAD_DEV_MODE=1,
# and each key that is not in the environment is generated once into VAR_DIR (readable by its
# owner only). Production never sources this file: its processes (deploy/systemd/) get real keys
# from an environment file and, without them, refuse to start (bot/config.py Settings.load).
: "${SECONDREAD_DEV_MODE:=1}"
export SECONDREAD_DEV_MODE
if [ "$SECONDREAD_DEV_MODE" = 1 ]; then
  _dev_key() {  # file kind: print the key in $VAR_DIR/file, generating it first if missing
    if [ ! -s "$VAR_DIR/$1" ]; then
      if [ "$2" = base64 ]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$VAR_DIR/$1")
      else  # URL-safe, like Python's secrets.token_urlsafe(32)
        (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' >"$VAR_DIR/$1")
      fi
    fi
    cat "$VAR_DIR/$1"
  }
  : "${SECONDREAD_SECRET_KEY:=$(_dev_key secret-key base64)}"
  : "${SECONDREAD_STORAGE_KEY:=$(_dev_key storage-key base64)}"
  : "${ACTION_SERVER_TOKEN:=$(_dev_key action-server-token urlsafe)}"
  : "${RASA_API_TOKEN:=$(_dev_key rasa-api-token urlsafe)}"
  unset -f _dev_key
fi
export SECONDREAD_SECRET_KEY SECONDREAD_STORAGE_KEY ACTION_SERVER_TOKEN RASA_API_TOKEN
: "${PUBLIC_URL:=http://127.0.0.1:$WEB_PORT}"
export PUBLIC_URL
