"""`shagym train category`: train the category model from the labelled corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shagym.errors import CliError, friendly

app = typer.Typer(help="Train the models the intake uses.", no_args_is_help=True)

DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent / "intake" / "data" / "category_model.json.gz"
)


@app.command("category")
@friendly
def train_category(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the model.")
    ] = DEFAULT_OUTPUT,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus", help="A folder of <family>.jsonl files (default: the shipped one)."
        ),
    ] = None,
) -> None:
    """Train the category model on the corpus's training families and write it.

    The held-out families are never read; the same corpus gives the same file."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise CliError("training needs scikit-learn: pip install -e '.[train]'") from None
    from intake.corpus import COMPLAINTS, load_corpus, split
    from shagym.train_category import train, write

    folder = corpus or COMPLAINTS
    if not folder.is_dir():
        raise CliError(f"no such folder: {folder}")
    items = load_corpus(folder, legacy=corpus is None)
    training, held_out = split(items)
    if len({item.family for item in training}) < 2:
        raise CliError(f"{folder} needs at least two training families (cross-validation)")
    artefact = train(training)
    size = write(artefact, output)
    meta = artefact["meta"]
    typer.echo(
        f"trained on {meta['texts']} texts in {len(meta['trained_on'])} families "
        f"({len({i.family for i in held_out})} families, {len(held_out)} texts held out); "
        f"settings {meta['params']}, temperature {artefact['temperature']}; "
        f"wrote {output} ({size / 1024:.0f} KiB)"
    )
