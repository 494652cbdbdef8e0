#!/usr/bin/env bash
# Record docs/demo.gif: the app's real window playing the demo clip once, on a virtual display.
# Needs Xvfb, xwd and ImageMagick (Debian: apt-get install xvfb x11-apps imagemagick).
#     scripts/capture_demo_gif.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
display=:97
grabs=$(mktemp -d)
Xvfb "$display" -screen 0 640x480x24 -nolisten tcp &
xvfb=$!
trap 'kill "$app" "$xvfb" 2>/dev/null || true; rm -rf "$grabs"' EXIT
sleep 1
DISPLAY=$display PYTHONPATH=. "$python" run_camera.py --demo --max-frames 170 &
app=$!
sleep 1.5  # the window opens
count=0
started=$(date +%s%N)
while kill -0 "$app" 2>/dev/null; do  # about ten grabs a second; every other one goes into the GIF
    DISPLAY=$display xwd -root -silent > "$grabs/$(printf %04d "$count").xwd"
    count=$((count + 1))
    sleep 0.08
done
wait "$app"
delay=$(( ($(date +%s%N) - started) / 10000000 * 2 / count ))  # 1/100 s per GIF frame: plays in real time
convert -delay "$delay" -loop 0 $(ls "$grabs"/*.xwd | awk 'NR % 2 == 1') -resize 480x360 +dither -colors 48 \
    -layers Optimize docs/demo.gif
echo "wrote docs/demo.gif from $count grabs: $(du -k docs/demo.gif | cut -f1) KB"
