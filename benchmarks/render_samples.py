"""Render a sample of every document type to docs/documents/<type>.png, and time issuing.

Each type is issued with the longest realistic content of ``tests/documents/test_types.py``
(long addresses, co-owners summarised to the type's limit, full floor tables) in a throwaway
SQLite database, so the PNGs show the worst case that must still fit one page.

    .venv/bin/python benchmarks/render_samples.py            # PNGs + timings (median of 5)
    .venv/bin/python benchmarks/render_samples.py --runs 1   # quicker

Prints one line per type: issue + render time (median, ms), PDF size, QR version; docs/benchmarks.md
records the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="issues per type to time (median)")
    parser.add_argument("--scale", type=float, default=1.5, help="PNG scale (1 = 72 dpi)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "documents"))
    parser.add_argument("--only", nargs="*", help="type codes to render (default: all)")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="shahrvand-samples-")
    os.environ["SHAHRVAND_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--empty", verbosity=0)

    import pypdfium2 as pdfium
    from PIL import Image

    from shahrvand.core.models import District
    from shahrvand.documents.rendering import qr_version
    from shahrvand.documents.services import document_issue
    from shahrvand.documents.types import DOCUMENT_TYPES
    from tests.documents.test_types import SAMPLES, SIGNERS

    district = District.objects.get(slug="bojnurd-1")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'type':<20} {'median ms':>9} {'min ms':>7} {'PDF KB':>7} {'QR':>6}")
    for code in args.only or list(DOCUMENT_TYPES):
        fields = SAMPLES[code]
        role = SIGNERS[code]
        times = []
        document = None
        for _ in range(args.runs):
            started = time.perf_counter()
            document = document_issue(
                actor=None,
                doc_type=code,
                district=district,
                fields=fields,
                signer_role=role,
            )
            times.append((time.perf_counter() - started) * 1000)
        assert document is not None and document.pdf is not None
        pdf_bytes = bytes(document.pdf)
        pdf = pdfium.PdfDocument(pdf_bytes)
        image = pdf[0].render(scale=args.scale).to_pil()
        # A 64-colour palette keeps the text crisp at a third of the size of a full-colour PNG.
        image.quantize(colors=64, dither=Image.Dither.NONE).save(out / f"{code}.png", optimize=True)
        pdf.close()
        version, error = qr_version(document.payload)
        print(
            f"{code:<20} {statistics.median(times):9.0f} {min(times):7.0f} "
            f"{len(pdf_bytes) / 1024:7.0f} {version:>3}-{error}"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        if os.environ.get("SHAHRVAND_VAR_DIR", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(os.environ["SHAHRVAND_VAR_DIR"], ignore_errors=True)
