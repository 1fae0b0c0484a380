"""The bare Flask app bench/pages compares the survey with: one route, no extensions."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
