"""Reading the YAML/JSON files an ARS or a project holder writes, with every error located.

Cluster files, targets files and usage exports are written by hand: an error must name its
place in the file (``organismes[0].esms[3].finess``, line 27) and every error is reported at once.
YAML is read with the safe loader, aliases are refused (no alias bombs), duplicate keys are an
error (PyYAML would keep the last one silently), and files are bounded in size.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

MAX_BYTES = 5 * 1024 * 1024
PathKey = tuple[Any, ...]


class InputError(ValueError):
    """A user file that cannot be used; ``errors`` lists every problem found, in French."""

    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = errors
        super().__init__(f"{source} : " + " ; ".join(errors))


@dataclass(frozen=True)
class Loaded:
    data: Any
    lines: dict[PathKey, int]  # 1-based line of each value, by its path in the document

    def line(self, path: PathKey) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def dotted(path: PathKey) -> str:
    """``("organismes", 0, "esms", 3, "finess")`` -> ``organismes[0].esms[3].finess``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(racine)"


def read_text(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"Fichier introuvable : {path}")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(str(path), [f"fichier de plus de {MAX_BYTES // (1024 * 1024)} Mo, refusé"])
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), [f"encodage illisible (UTF-8 attendu) : {exc.reason} à l'octet {exc.start}"]
        ) from None


def load(path: Path) -> Loaded:
    """Parse a ``.json`` file with :mod:`json`, anything else as YAML; line numbers from the YAML composer."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        duplicates: list[str] = []
        try:
            data = json.loads(text, object_pairs_hook=lambda pairs: _unique(pairs, duplicates))
        except json.JSONDecodeError as exc:
            raise InputError(
                str(path), [f"JSON invalide ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}"]
            ) from None
        except RecursionError:
            raise InputError(str(path), ["JSON trop profondément imbriqué"]) from None
        if duplicates:
            raise InputError(str(path), [f"clé en double : {key}" for key in duplicates])
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            lines = _lines(node, str(path)) if node is not None else {}
        except (yaml.YAMLError, InputError, RecursionError):
            lines = {}  # valid JSON that PyYAML (YAML 1.1) does not compose: errors keep their path only
        return Loaded(data, lines)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
        raise InputError(str(path), [f"YAML invalide{where} : {getattr(exc, 'problem', None) or exc}"]) from None
    except RecursionError:
        raise InputError(str(path), ["YAML trop profondément imbriqué"]) from None
    if node is None:
        raise InputError(str(path), ["fichier vide"])
    lines = _lines(node, str(path))
    return Loaded(_plain(_construct(text)), lines)


def _unique(pairs: list[tuple[str, Any]], duplicates: list[str]) -> dict[str, Any]:
    """JSON objects keep their last duplicate key silently: record them, so that the file is refused."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            duplicates.append(key)
        seen[key] = value
    return seen


def _construct(text: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so one schema (``format: date``) serves YAML and JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _lines(node: yaml.Node, source: str) -> dict[PathKey, int]:
    lines: dict[PathKey, int] = {}
    errors: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[PathKey, yaml.Node]] = [((), node)]
    while stack:
        path, current = stack.pop()
        if id(current) in seen:
            errors.append(
                f"{dotted(path)} (ligne {current.start_mark.line + 1}) : les alias YAML (*ancre) ne sont pas admis"
            )
            continue
        seen.add(id(current))
        lines[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            keys: dict[Any, int] = {}
            for key_node, value_node in current.value:
                key = key_node.value
                if key in keys:
                    errors.append(
                        f"{dotted(path + (key,))} (ligne {key_node.start_mark.line + 1}) : clé en double "
                        f"(déjà définie ligne {keys[key]})"
                    )
                keys[key] = key_node.start_mark.line + 1
                if key == "<<":
                    errors.append(
                        f"{dotted(path)} (ligne {key_node.start_mark.line + 1}) : la fusion YAML (<<) n'est pas admise"
                    )
                stack.append((path + (key,), value_node))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((path + (i,), item) for i, item in enumerate(current.value))
    if errors:
        raise InputError(source, sorted(errors))
    return lines


def schema_errors(loaded: Loaded, schema: dict[str, Any]) -> list[str]:
    """Every JSON Schema violation, as ``path (ligne N) : message`` in French, in file order."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    found = []
    for error in validator.iter_errors(loaded.data):
        path = tuple(error.absolute_path)
        line = loaded.line(path)
        found.append(
            (line or 0, dotted(path), f"{dotted(path)}{f' (ligne {line})' if line else ''} : {_french(error)}")
        )
    return [message for _, _, message in sorted(found)]


def _french(error: jsonschema.ValidationError) -> str:
    """The validator's message, said in French for the keywords a hand-written file trips on."""
    value = error.instance
    match error.validator:
        case "required":
            missing = [name for name in error.validator_value if not isinstance(value, dict) or name not in value]
            return f"champ obligatoire absent : {', '.join(missing)}"
        case "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            extra = sorted(k for k in value if k not in allowed) if isinstance(value, dict) else []
            return f"champ inconnu : {', '.join(map(str, extra))} (admis : {', '.join(sorted(allowed))})"
        case "type":
            names = {
                "string": "un texte",
                "integer": "un entier",
                "number": "un nombre",
                "boolean": "un booléen (true/false)",
                "array": "une liste",
                "object": "un objet (clé : valeur)",
                "null": "vide",
            }
            expected: list[str] = (
                error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            )
            hint = (
                " (mettre la valeur entre guillemets)"
                if "string" in expected and isinstance(value, (int, float))
                else ""
            )
            return f"valeur {value!r} : {' ou '.join(names.get(t, t) for t in expected)} attendu{hint}"
        case "enum":
            return f"valeur {value!r} inconnue (admises : {', '.join(map(str, error.validator_value))})"
        case "const":
            return f"valeur {value!r} : {error.validator_value!r} attendu"
        case "minimum":
            return f"valeur {value!r} inférieure au minimum {error.validator_value}"
        case "maximum":
            return f"valeur {value!r} supérieure au maximum {error.validator_value}"
        case "minItems":
            return f"liste de {len(value)} élément(s), au moins {error.validator_value} attendu(s)"
        case "minLength":
            return "texte vide"
        case "pattern":
            return f"valeur {value!r} ne suit pas le format attendu ({error.validator_value})"
        case "format":
            return f"valeur {value!r} : format {error.validator_value} attendu (AAAA-MM-JJ pour une date)"
        case "uniqueItems":
            return "éléments en double"
    return error.message
