# The session-scoped `stack` fixture lives in tests/conftest.py, shared with tests/browser/.
