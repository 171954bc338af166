"""Render every page of the real window at several sizes and themes and report layout faults as JSON.

Run by ``test_layout.py`` in a child process on Qt's xcb platform under Xvfb (real fonts and metrics;
the offscreen platform of the other GUI tests has neither). Usage::

    python tests/app/layout_probe.py DB_URL ACCOUNT OUT.json [--sizes 900x600,...] [--themes light,dark]

A fault is one of:
- ``elided``: a table cell or header in a column that does not stretch is wider than the column;
  a session row or a ranked name is cut while its row still has room;
- ``hscroll``: a page's scroll area, or a table, shows a horizontal scroll bar;
- ``outside``: a visible widget reaches past the window or past its scroll area's viewport (sideways);
- ``clipped``: a one-line label is wider than the room it got.
"""

from __future__ import annotations

import json
import sys


def _fm(widget):
    from PySide6.QtGui import QFontMetrics

    return QFontMetrics(widget.font())


def _path(w) -> str:
    parts = []
    while w is not None and len(parts) < 4:
        parts.append(w.objectName() or w.accessibleName() or type(w).__name__)
        w = w.parentWidget()
    return " < ".join(parts)


def table_faults(view) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView

    out = []
    model, hh = view.model(), view.horizontalHeader()
    if model is None:
        return out
    fm = _fm(view)
    rows = range(min(model.rowCount(), 60))
    if hh.length() > view.viewport().width() + 1 and not view.horizontalScrollBar().isVisible():
        out.append(
            f"columns of {view.accessibleName()!r} run past its edge ({hh.length()} px in {view.viewport().width()})"
        )
    may_elide = set(view.property("elideColumns") or [])  # fitted columns whose cells carry a tooltip
    for col in range(model.columnCount()):
        if view.isColumnHidden(col) or hh.sectionResizeMode(col) == QHeaderView.ResizeMode.Stretch:
            continue
        if col in may_elide:
            continue
        width = view.columnWidth(col)
        if col == model.columnCount() - 1 and hh.stretchLastSection():
            continue
        title = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
        if title and _fm(hh).horizontalAdvance(title) + 12 > hh.sectionSize(col):
            out.append(f"elided header {title!r} in {view.accessibleName()!r} ({hh.sectionSize(col)} px)")
        for r in rows:
            text = model.index(r, col).data()
            if text and fm.horizontalAdvance(str(text)) + 8 > width:
                out.append(
                    f"elided cell {str(text)!r} in {view.accessibleName()!r} column {title!r} ({width} px)"
                )
                break
    return out


def page_faults(win) -> list[str]:
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QScrollArea, QTableView

    from app.widgets.ranked import RankedBars

    out: list[str] = []
    page = win.stack.currentWidget()
    win_rect = QRect(QPoint(0, 0), win.size())
    sideways = [
        a for a in page.findChildren(QScrollArea) if a.isVisible() and a.horizontalScrollBar().isVisible()
    ]
    for w in [page, *page.findChildren(object)]:
        if not hasattr(w, "isVisibleTo") or not w.isVisibleTo(win) or not w.isVisible():
            continue
        if w.width() <= 0 or w.height() <= 0:
            continue
        if isinstance(w, QScrollArea) and w.widgetResizable():
            if w.horizontalScrollBar().isVisible():
                out.append(
                    f"hscroll in {_path(w)}: content {w.widget().minimumSizeHint().width()} px "
                    f"in a {w.viewport().width()} px viewport"
                )
        if isinstance(w, QTableView):
            out.extend(table_faults(w))
            if w.horizontalScrollBar().isVisible():
                out.append(f"hscroll in table {w.accessibleName()!r} ({w.viewport().width()} px wide)")
        if isinstance(w, RankedBars):
            names = w.elided_names()
            if names and w.width() > 600:
                out.append(f"elided ranked names with room to spare ({w.width()} px): {names[:3]}")
        if (
            isinstance(w, QLabel)
            and not w.wordWrap()
            and w.textFormat() != Qt.TextFormat.RichText
            and w.text()
        ):
            need = _fm(w).horizontalAdvance(w.text().split("\n")[0])
            if need > w.contentsRect().width() + 2 and not w.text().startswith("<"):
                out.append(f"clipped label {w.text()[:60]!r} ({need} px in {w.contentsRect().width()} px)")
        # sideways: past the window, or past the viewport of the scroll area it scrolls in
        r = QRect(w.mapTo(win, QPoint(0, 0)), w.size())
        bounds, parent = win_rect, w.parentWidget()
        while parent is not None and parent is not win:
            if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(w):
                bounds = QRect(parent.viewport().mapTo(win, QPoint(0, 0)), parent.viewport().size())
                break
            parent = parent.parentWidget()
        if any(a.isAncestorOf(w) for a in sideways):
            continue  # reported once, as the scroll area's hscroll
        if r.right() > bounds.right() + 1 or r.left() < bounds.left() - 1:
            if not isinstance(w.parentWidget(), QAbstractScrollArea) or w is page:
                out.append(
                    f"outside: {_path(w)} spans x {r.left()}..{r.right()} past {bounds.left()}..{bounds.right()}"
                )
        if bounds is win_rect and r.bottom() > win_rect.bottom() + 1:
            out.append(f"outside: {_path(w)} reaches y {r.bottom()} below the window ({win_rect.bottom()})")
    # sessions: a painted row cut while there is room
    if hasattr(page, "list") and hasattr(page.list, "itemDelegate"):
        delegate = page.list.itemDelegate()
        if hasattr(delegate, "cut_texts"):
            for i in range(min(page.model.rowCount(), 20)):
                cut = delegate.cut_texts(page.model.index(i, 0), page.list.viewport().width())
                if cut:
                    out.append(f"session row {i} cut: {cut}")
    return sorted(set(out))


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("account")
    p.add_argument("out")
    p.add_argument("--sizes", default="900x600,1024x680,1600x1000")
    p.add_argument("--themes", default="light,dark")
    p.add_argument("--shots", default="", help="also save each render as PNG into this folder")
    args = p.parse_args(argv)
    from app.main import build, shutdown
    from app.screenshots import settle, show_loaded, wait_until

    app = build(args.db, first_run_demo=False, background=False, theme="light")
    wait_until(lambda: app.ctx.accounts_ready, 60)
    app.ctx.set_account(args.account)
    win = app.window
    report: dict[str, list[str]] = {}
    for theme in args.themes.split(","):
        app.theme.set_mode(theme)
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.split("x"))
            win.resize(w, h)
            settle(150)
            for key in win.order:
                show_loaded(win, key)
                views = [("", None)]
                page = win.pages[key]
                if key == "stats":
                    views.append(("history", 1))
                for suffix, tab in views:
                    if tab is not None:
                        page.tabs.setCurrentIndex(tab)
                        settle(200)
                        wait_until(lambda p=page: not p.loading and not p.history_model.loading, 30)
                        settle(200)
                    name = f"{theme} {w}x{h} {key}{' ' + suffix if suffix else ''}"
                    report[name] = page_faults(win)
                    if args.shots:
                        win.grab().save(
                            f"{args.shots}/{key}{'-' + suffix if suffix else ''}-{w}x{h}-{theme}.png"
                        )
                if key == "stats":
                    page.tabs.setCurrentIndex(0)
    shutdown(app)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
