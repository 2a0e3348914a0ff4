import pytest

# Assertions in the shared helpers get pytest's detailed messages too.
pytest.register_assert_rewrite("tests.support")
