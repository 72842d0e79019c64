#!/usr/bin/env bash
# Print the path of a working Python interpreter of the version given (e.g. 3.10).
set -euo pipefail
want="$1"
for candidate in "python$want" "$HOME/.pyenv/versions/$want"*/bin/python "/usr/bin/python$want" "/usr/local/bin/python$want"; do
  for path in $candidate; do
    if command -v "$path" >/dev/null 2>&1 && "$path" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
      command -v "$path"; exit 0
    fi
  done
done
echo "no working Python $want found (Rasa 3.6 needs 3.10, the action server 3.11)" >&2
exit 1
