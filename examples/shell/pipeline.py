"""Shell steps: code in any language, with declared dependencies and
outputs snapshotted like any artifact. Run it with `repro run`."""

from repro import Dataset, pipeline, sh


@pipeline
def words(min_words: int = 10, text: Dataset = Dataset("data/text.txt")) -> None:
    sh(
        f"scripts/count.sh {text.uri}",
        name="count",
        deps=["scripts/count.sh", text],
        outs=["build/counts.tsv"],
    )
    sh(
        "python3 scripts/summarize.py {min_words}",
        name="summarize",
        deps=["scripts/summarize.py", "build/counts.tsv"],
        outs=["report"],
        params={"min_words": min_words},
    )
