"""Translation catalogues, one per domain (portal/<domain>/translations/id), merged at runtime.

python scripts/translations.py update    # extract messages, add new ones to each id .po
python scripts/translations.py compile   # .po -> .mo (run by make)
python scripts/translations.py check     # exit 1 if any message lacks an Indonesian text
python scripts/translations.py fill F.json  # {"English msgid": "Indonesian"} into every catalogue
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from wtforms.i18n import messages_path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
LOCALE = "id"


def domains() -> dict[Path, list[Path]]:
    """catalogue dir -> the sources it covers. The core one covers portal/*.py and the shared templates."""
    core = list(PORTAL.glob("*.py")) + list((ROOT / "templates").glob("*.html"))
    core += [ROOT / "templates" / "errors"]
    result = {PORTAL / "translations": core}
    for package in sorted(p for p in PORTAL.iterdir() if (p / "__init__.py").exists()):
        sources = [package]
        templates = ROOT / "templates" / package.name
        if templates.is_dir():
            sources.append(templates)
        result[package / "translations"] = sources
    return result


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], check=True, cwd=ROOT)


def update() -> None:
    for catalogue, sources in domains().items():
        with tempfile.NamedTemporaryFile(suffix=".pot") as pot:
            extract(sources, Path(pot.name))
            po = catalogue / LOCALE / "LC_MESSAGES" / "messages.po"
            with open(pot.name, "rb") as fh:
                empty = not len(read_po(fh))
            if empty:
                continue
            if po.exists():
                pybabel(
                    "update",
                    "--no-fuzzy-matching",
                    "--ignore-obsolete",
                    "-i",
                    pot.name,
                    "-d",
                    str(catalogue),
                    "-l",
                    LOCALE,
                )
            else:
                pybabel("init", "-i", pot.name, "-d", str(catalogue), "-l", LOCALE)
            print(f"updated {po.relative_to(ROOT)}")


# WTForms' own messages ("Not a valid integer value."): WTForms ships no Indonesian.
WTFORMS_PO = PORTAL / "translations" / LOCALE / "LC_MESSAGES" / "wtforms.po"


def compile_all() -> None:
    for catalogue in domains():
        if (catalogue / LOCALE / "LC_MESSAGES" / "messages.po").exists():
            pybabel("compile", "-d", str(catalogue), "-l", LOCALE)
    pybabel("compile", "-D", "wtforms", "-d", str(WTFORMS_PO.parents[2]), "-l", LOCALE)


def extract(sources: list[Path], pot: Path) -> None:
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "lazy_ngettext:1,2",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        *[str(s.relative_to(ROOT)) for s in sources],
    )


def missing() -> dict[str, list[str]]:
    """Messages the code uses now that have no Indonesian text in their catalogue."""
    gaps: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index, (catalogue, sources) in enumerate(domains().items()):
            pot = Path(tmp) / f"{index}.pot"
            extract(sources, pot)
            with pot.open("rb") as fh:
                wanted = read_po(fh)
            po = catalogue / LOCALE / "LC_MESSAGES" / "messages.po"
            have = None
            if po.exists():
                with po.open("rb") as fh:
                    have = read_po(fh)
            empty = []
            for message in wanted:
                if not message.id:
                    continue
                found = have.get(message.id) if have is not None else None
                text = found.string if found is not None else None
                if not text or found.fuzzy or (isinstance(text, tuple) and not all(text)):
                    empty.append(message.id if isinstance(message.id, str) else message.id[0])
            if empty:
                gaps[str(po.relative_to(ROOT))] = empty
    gaps.update(_wtforms_missing())
    return gaps


def _wtforms_missing() -> dict[str, list[str]]:
    """WTForms' messages (its own .pot, which changes with its version) without Indonesian."""

    with open(Path(messages_path()) / "wtforms.pot", "rb") as fh:
        wanted = read_po(fh)
    with WTFORMS_PO.open("rb") as fh:
        have = read_po(fh)
    empty = []
    for message in wanted:
        found = have.get(message.id) if message.id else None
        if message.id and (
            found is None or not found.string or (isinstance(found.string, tuple) and not all(found.string))
        ):
            empty.append(message.id if isinstance(message.id, str) else message.id[0])
    return {str(WTFORMS_PO.relative_to(ROOT)): empty} if empty else {}


def fill(mapping_file: Path) -> None:
    """Set the Indonesian text of the given msgids, wherever a catalogue has them."""

    mapping: dict[str, str] = json.loads(mapping_file.read_text(encoding="utf-8"))
    for catalogue in domains():
        po = catalogue / LOCALE / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        changed = False
        for message in catalog:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in mapping:
                message.string = mapping[key] if isinstance(message.id, str) else (mapping[key], mapping[key])
                message.flags.discard("fuzzy")
                changed = True
        if changed:
            with po.open("wb") as fh:
                write_po(fh, catalog, width=0, omit_header=False, no_location=True, sort_output=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "fill":
        fill(Path(sys.argv[2]))
    elif command == "check":
        gaps = missing()
        for po, ids in gaps.items():
            print(f"{po}: {len(ids)} untranslated", *ids[:20], sep="\n  ")
        sys.exit(1 if gaps else 0)
    else:
        sys.exit(__doc__)
