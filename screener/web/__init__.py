"""The Flask application: JSON API (and, later, the coordinator's form), built by create_app()."""
import logging
import os

from flask import Flask

from .. import config


def create_app(test_config: dict | None = None) -> Flask:
    """Configuration: defaults, then instance/config.py and SCREENER_* environment variables, then test_config."""
    # SCREENER_INSTANCE_PATH: where instance config (and, later, the database) live; an installed package's default
    # (under sys.prefix) is not writable by the container's non-root user.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("SCREENER_INSTANCE_PATH"))
    app.config.from_mapping(
        SCREENER_ENGINE=config.SCREENER_ENGINE,
        # FHIR bundles carry a patient's whole history; the largest real one tested is 2.7 MB.
        MAX_CONTENT_LENGTH=config.MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCREENER")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from . import api, errors, health, openapi

    errors.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    return app
