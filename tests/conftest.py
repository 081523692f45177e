"""Shared fixtures. Fixture modules live in tests/fixtures/ and are loaded as plugins."""
pytest_plugins = ["tests.fixtures.needs", "tests.fixtures.broker", "tests.fixtures.xvfb"]
