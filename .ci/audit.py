"""pip-audit over the installed dependencies: fails on a known vulnerability that .ci/audit-explained.txt does not
explain; says plainly how many packages could be audited at all (a mirror without PyPI's JSON API audits none)."""
import json
import subprocess
import sys
from pathlib import Path

explained = {line.split()[0] for line in Path(__file__).with_name("audit-explained.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")}
run = subprocess.run([sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "-f", "json"],
                     capture_output=True, text=True)
try:
    report = json.loads(run.stdout)
except ValueError:
    print(f"pip-audit: no report (no vulnerability data reachable?): {run.stderr.strip().splitlines()[-1:]}")
    sys.exit(0)
deps = report["dependencies"]
skipped = [d for d in deps if "skip_reason" in d]
found = [(d["name"], v["id"]) for d in deps for v in d.get("vulns", [])]
open_ = [(name, vid) for name, vid in found if vid not in explained]
print(f"pip-audit: {len(deps) - len(skipped)} of {len(deps)} packages audited, {len(found)} known vulnerabilities, "
      f"{len(open_)} unexplained")
for name, vid in open_:
    print(f"  {name}: {vid}")
sys.exit(1 if open_ else 0)
