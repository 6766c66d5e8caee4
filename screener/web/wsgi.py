"""The WSGI entry point gunicorn serves: screener.web.wsgi:app."""
from . import create_app

app = create_app()
