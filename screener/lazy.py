"""Package exports loaded on first use (PEP 562), so importing a package costs only what is used from it."""
import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """__getattr__ and __dir__ for a package whose names (name -> relative module) load when first read."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(importlib.import_module(exports[name], package), name)
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
