"""axe-core, Deque's accessibility checker, run on a page in the browser tests.

`assert_no_serious_axe_violations(page)` injects the vendored axe-core (tests/browser/vendor: a
test tool, never served to shops), runs every rule axe runs by default (WCAG 2.x A and AA, with
colour contrast, and its best practices) on the page as it is, and fails on any violation whose
impact is "serious" or "critical", listing each rule, what it asks and the elements that break it.
"""

from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SCRIPT = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
NODES_LISTED = 8  # per rule; the count says how many more


def axe_violations(page, *, include: str | None = None) -> list[dict]:
    """Every violation axe finds on the page (or inside the `include` CSS selector)."""
    # Colours are judged as they settle, not halfway through Bootstrap's 0.15 s transitions
    # (which it turns off for people who ask the system for less motion).
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_timeout(200)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        """async (include) => {
            const result = await window.axe.run(include ? { include: [include] } : document);
            return result.violations.map((violation) => ({
                id: violation.id,
                impact: violation.impact,
                help: violation.help,
                helpUrl: violation.helpUrl,
                nodes: violation.nodes.map((node) => ({
                    target: node.target.join(" "),
                    html: node.html,
                    summary: node.failureSummary,
                })),
            }));
        }""",
        include,
    )


def serious_violations(page, *, include: str | None = None) -> list[dict]:
    return [
        violation
        for violation in axe_violations(page, include=include)
        if violation["impact"] in FAILING_IMPACTS
    ]


def describe(violations: list[dict]) -> str:
    """The violations, one rule a paragraph, readable in a test failure."""
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"{violation['id']} ({violation['impact']}, {len(nodes)} element(s)): "
            f"{violation['help']} - {violation['helpUrl']}"
        )
        for node in nodes[:NODES_LISTED]:
            html = " ".join(node["html"].split())
            lines.append(f"  {node['target']}: {html[:160]}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(nodes) > NODES_LISTED:
            lines.append(f"  ... and {len(nodes) - NODES_LISTED} more")
    return "\n".join(lines)


def assert_no_serious_axe_violations(page, *, include: str | None = None) -> None:
    violations = serious_violations(page, include=include)
    assert not violations, (
        f"axe-core {AXE_VERSION} found {len(violations)} serious or critical accessibility "
        f"problem(s) on {page.url}:\n{describe(violations)}"
    )
