"""`maillon agenda …`: solve, validate and summarise agendas in the interchange format
(b2b-sched-instance/1, b2b-sched-delta/1, b2b-sched-schedule/1)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from service.agenda.delta import apply_delta
from service.agenda.formats import dump_schedule, dumps, load_delta, load_instance, load_schedule
from service.agenda.model import Instance, Schedule
from service.agenda.solver import solve
from service.agenda.stats import schedule_stats
from service.agenda.validate import validate_schedule
from service.errors import InvalidRequestError


def _read(path: Path, loader: Any) -> Any:
    """Load a file; an invalid one ends the command with the file name and every problem."""
    try:
        loaded = loader(path.read_bytes())
    except InvalidRequestError as exc:
        click.echo(f"error: {path}: {exc.message}", err=True)
        for problem in (exc.errors or [])[:50]:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    for warning in getattr(loaded, "warnings", [])[:50]:
        click.echo(f"warning: {path}: {warning}", err=True)
    return loaded


def load_inputs(event: Path, delta: Path | None, base: Path | None) -> tuple[Instance, Schedule | None]:
    if bool(delta) != bool(base):
        raise click.UsageError("--delta and --base go together")
    instance = _read(event, load_instance)
    if delta:
        changes = _read(delta, load_delta)
        try:
            instance = apply_delta(instance, changes)
        except InvalidRequestError as exc:
            click.echo(f"error: {delta}: {exc.message}", err=True)
            for problem in (exc.errors or [])[:50]:
                click.echo(f"  {problem}", err=True)
            sys.exit(2)
    return instance, (_read(base, load_schedule) if base else None)


@click.group("agenda")
def agenda() -> None:
    """B2B agendas in the interchange format (see AGENDA-FORMAT.md)."""


@agenda.command("solve")
@click.argument("event", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--delta", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Late changes to apply (b2b-sched-delta/1); needs --base.")
@click.option("--base", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The agenda the late changes apply to: its confirmed meetings never move.")
@click.option("--time-limit", default=100.0, show_default=True, help="Seconds the solver may use.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def solve_cmd(event: Path, output: Path, delta: Path | None, base: Path | None,
              time_limit: float, quiet: bool) -> None:
    """Place the requested meetings of EVENT on slots and tables; write the agenda to -o."""
    instance, base_schedule = load_inputs(event, delta, base)
    with tqdm(total=100, unit="%", disable=quiet, file=sys.stderr, desc="solving") as bar:
        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message[:60])
            bar.update(max(0, int(fraction * 100) - bar.n))

        schedule = solve(instance, base=base_schedule, time_limit_s=time_limit, progress=progress)
    violations = validate_schedule(instance, schedule, base=base_schedule)
    output.write_text(dumps(dump_schedule(schedule)), encoding="utf-8")
    if not quiet:
        _summary(instance, schedule)
    if violations:
        for v in violations[:20]:
            click.echo(f"violation: rule {v.rule}: {v.message}", err=True)
        sys.exit(1)


@agenda.command("validate")
@click.argument("event", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("schedule", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--delta", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--base", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_cmd(event: Path, schedule: Path, delta: Path | None, base: Path | None) -> None:
    """Check SCHEDULE against every validity rule of EVENT (and stability against --base)."""
    instance, base_schedule = load_inputs(event, delta, base)
    agenda_ = _read(schedule, load_schedule)
    violations = validate_schedule(instance, agenda_, base=base_schedule)
    for v in violations:
        click.echo(f"rule {v.rule} ({v.code}): {v.message}")
    _summary(instance, agenda_)
    sys.exit(1 if violations else 0)


def _summary(instance: Instance, schedule: Schedule) -> None:
    stats = schedule_stats(instance, schedule)
    click.echo(json.dumps(stats, indent=2), err=True)


@agenda.command("show")
@click.argument("event", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("schedule", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--participant", default=None, help="Only this participant's meetings.")
def show_cmd(event: Path, schedule: Path, participant: str | None) -> None:
    """Print the meetings of SCHEDULE by time, with table labels and names, as people read them."""
    instance = _read(event, load_instance)
    agenda_ = _read(schedule, load_schedule)
    names = {p.id: p.name or p.id for p in instance.participants}
    for m in sorted(agenda_.meetings, key=lambda m: (m.slot, m.table)):
        if participant and participant not in (m.a, m.b):
            continue
        slot = instance.slots[m.slot] if 0 <= m.slot < len(instance.slots) else None
        when = f"{slot.start.replace('T', ' ')}-{slot.end[11:]}" if slot else f"slot {m.slot}"
        click.echo(f"{when}  Table {instance.table_label(m.table):<12} {names.get(m.a, m.a)} / "
                   f"{names.get(m.b, m.b)}{'' if m.confirmed else '  (provisional)'}")
