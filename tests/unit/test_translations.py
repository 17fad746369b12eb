"""The French catalogue covers every message, and the compiled .mo is the current .po."""
from __future__ import annotations

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from service.notify.messages import TRANSLATIONS


def test_every_message_has_a_french_translation_and_the_mo_is_fresh() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    folder = TRANSLATIONS / "fr" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f, locale="fr") if m.id}
    with (folder / "messages.mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert template <= set(po), f"not in the French catalogue: {sorted(template - set(po))[:5]}"
    assert not [k for k, v in po.items() if not v], "untranslated messages"
    assert mo == po, "messages.mo is stale: run pybabel compile -d service/translations"


def test_the_template_lists_every_message_of_the_sources(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "-q", "extract", "-F", "babel.cfg", "-k", "N_", "--no-location", "-o", str(out),
                    "."], cwd=repo, check=True)
    with out.open("rb") as fresh, (TRANSLATIONS / "messages.pot").open("rb") as kept:
        assert {m.id for m in read_po(fresh) if m.id} == {m.id for m in read_po(kept) if m.id}, \
            "run: pybabel extract -F babel.cfg -k N_ --no-location -o service/translations/messages.pot ."
