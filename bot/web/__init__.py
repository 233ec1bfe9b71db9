"""The web app: health check and home page (uploads, widget and console come later)."""
