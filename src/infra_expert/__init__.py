"""infra-expert: infrastructure reviewed the way a senior DevOps/SRE engineer would.

    import infra_expert
    result = infra_expert.review(["."])                    # -> infra_expert.model.Review
    result = infra_expert.review_text(text, "Dockerfile")

See `infra_expert.api` for the arguments. Importing this package costs nothing: the
engine loads on the first call.
"""

__version__ = "0.1.0"
__all__ = ["__version__", "review", "review_text"]


def __getattr__(name):
    if name in ("review", "review_text"):
        from infra_expert import api
        return getattr(api, name)
    raise AttributeError(f"module 'infra_expert' has no attribute {name!r}")
