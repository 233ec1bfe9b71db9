# Shared defaults for every script and make target (sourced, not run). Override any of them
# in the environment. Runtime state lives under var/ (ignored by git).
# The defaults live in bot/config.py: it prints, as assignments, each variable left unset here
# (standard library only, so the system's Python 3 will do before `make install`). Development
# mode: the scripts and make targets of this checkout run with SECONDREAD_DEV_MODE=1, and each key
# that is not in the environment is generated once into VAR_DIR (readable by its owner only).
# Production never sources this file: its processes (deploy/systemd/) get real keys from an
# environment file and, without them, refuse to start (bot/config.py Settings.load).
# Exported first, so that Python sees the ones already set here (an unset one stays unset).
export VAR_DIR RASA_PORT ACTION_PORT WEB_PORT BIND_HOST DATABASE_URL TRACKER_URL TRACKER_DIALECT \
  LOCK_STORE REDIS_HOST REDIS_PORT REDIS_DB REDIS_PASSWORD ACTION_ENDPOINT_URL RASA_URL \
  MODEL_DIR MODEL_CACHE_DIR PUBLIC_URL SECONDREAD_DEV_MODE \
  SECONDREAD_SECRET_KEY SECONDREAD_STORAGE_KEY ACTION_SERVER_TOKEN RASA_API_TOKEN
_secondread_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_secondread_python=$_secondread_root/.venv/bin/python
[ -x "$_secondread_python" ] || _secondread_python=$(command -v python3)
_secondread_defaults=$(PYTHONPATH="$_secondread_root" "$_secondread_python" -m bot.config --shell) \
  || { echo "scripts/env.sh: could not read the defaults (bot/config.py)" >&2; return 1; }
eval "$_secondread_defaults"
unset _secondread_root _secondread_python _secondread_defaults
mkdir -p "$VAR_DIR" "$MODEL_DIR" "$VAR_DIR/logs"
# Python warnings and TensorFlow's start-up chatter hide the useful lines.
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore::DeprecationWarning
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false  # no usage data or crash reports leave this machine
# The NLU's sentence encoder is read from disk (requirements/rasa-lm.txt); never ask a model hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
