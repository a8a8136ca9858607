#!/usr/bin/env python3
"""gfm-oracle: count GitHub task-list items the way GitHub's renderer does.

Dev-only tool. Needs `pip install cmarkgfm` (GitHub's cmark-gfm, Python
binding); CI does not run it. Typical use:

    python3 -m venv /tmp/gfm && /tmp/gfm/bin/pip install cmarkgfm
    /tmp/gfm/bin/python scripts/gfm-oracle.py Tests/Fixtures/gfm/*.md \
        > Tests/Fixtures/gfm/expected.json

For every Markdown file given, the raw bytes (BOM, CRLF, invalid UTF-8 and
all) are fed unchanged to cmark-gfm with the GitHub extensions (tasklist,
table, strikethrough, autolink, tagfilter) and CMARK_OPT_SOURCEPOS. No
UNSAFE option: raw HTML is omitted from the output, so the only
`<li ...><input type="checkbox"` in the HTML are those emitted by the
tasklist extension. The output is one JSON object keyed by file name
(basename), in argument order:

    {"file.md": {"items": N, "done": M,
                 "lines": [1-based source line of each task item, in order],
                 "doneLines": [...]}}

The line of an item is the start line of its <li data-sourcepos="L:C-...">,
i.e. the line holding the list marker. Nested items are included (document
order). Options:
    --html            print the rendered HTML of each file instead
    --validate-utf8   also pass CMARK_OPT_VALIDATE_UTF8 (invalid UTF-8 -> U+FFFD
                      before parsing; by default cmark passes bytes through)
    --full-path       key the JSON by the path as given, not the basename
"""

import json
import os
import re
import sys

try:
    from cmarkgfm import _cmark
    from cmarkgfm.cmark import Options
except ImportError:  # pragma: no cover
    sys.exit("gfm-oracle: needs `pip install cmarkgfm` (GitHub's cmark-gfm binding)")

EXTENSIONS = ("tasklist", "table", "strikethrough", "autolink", "tagfilter")

# Emitted by cmark-gfm's extensions/tasklist.c html_render():
#   <li data-sourcepos="L:C-L:C"><input type="checkbox" [checked="" ]disabled="" />
TASK_LI = re.compile(
    rb'<li data-sourcepos="(\d+):(\d+)-(\d+):(\d+)">'
    rb'<input type="checkbox" (checked="" )?disabled="" />'
)


def render(raw: bytes, options: int) -> bytes:
    """Render raw Markdown bytes to HTML bytes with the GFM extensions."""
    lib, ffi = _cmark.lib, _cmark.ffi
    lib.cmark_gfm_core_extensions_ensure_registered()
    parser = lib.cmark_parser_new(options)
    try:
        for name in EXTENSIONS:
            ext = lib.cmark_find_syntax_extension(name.encode())
            if ext == ffi.NULL:
                raise RuntimeError("unknown cmark-gfm extension " + name)
            lib.cmark_parser_attach_syntax_extension(parser, ext)
        # Feed the bytes exactly as they are in the file.
        lib.cmark_parser_feed(parser, raw, len(raw))
        root = lib.cmark_parser_finish(parser)
        exts = lib.cmark_parser_get_syntax_extensions(parser)
        html = lib.cmark_render_html(root, options, exts)
        return ffi.string(html)
    finally:
        lib.cmark_parser_free(parser)


def count(html: bytes) -> dict:
    lines, done_lines = [], []
    for m in TASK_LI.finditer(html):
        line = int(m.group(1))
        lines.append(line)
        if m.group(5):
            done_lines.append(line)
    return {"items": len(lines), "done": len(done_lines),
            "lines": lines, "doneLines": done_lines}


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--html", "--validate-utf8", "--full-path"}
    if unknown or not args:
        sys.exit(__doc__ if not unknown else "unknown option(s): %s" % sorted(unknown))
    options = Options.CMARK_OPT_SOURCEPOS
    if "--validate-utf8" in flags:
        options |= Options.CMARK_OPT_VALIDATE_UTF8
    result = {}
    for path in args:
        with open(path, "rb") as f:
            raw = f.read()
        html = render(raw, options)
        if "--html" in flags:
            sys.stdout.write("==> %s <==\n" % path)
            sys.stdout.write(html.decode("utf-8", errors="replace"))
            continue
        key = path if "--full-path" in flags else os.path.basename(path)
        result[key] = count(html)
    if "--html" not in flags:
        # One line per file: {"name": {"items": N, "done": M, "lines": [...], ...}}
        rows = ["  %s: %s" % (json.dumps(k, ensure_ascii=False),
                              json.dumps(v, ensure_ascii=False))
                for k, v in result.items()]
        sys.stdout.write("{\n" + ",\n".join(rows) + "\n}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
