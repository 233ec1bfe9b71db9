"""The web app (FastAPI, `app.create_app`): the health check and home page, the widget's
assets and sessions (`widget.py`, `sessions_api.py`), uploads and the upload page
(`uploads_api.py`), the records letters (`letters_api.py`), the two reports side by side
(`comparison_api.py`), the patient's presence while a person answers (`presence_api.py`) and the
staff console (`console/`).
Its lifespan runs the upload inspection worker, the daily retention job and the records
requests' follow-ups."""
