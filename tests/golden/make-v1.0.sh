#!/bin/sh
# How tests/golden/v1.0 was made, once, with guardia 0.1.0 (bundle format
# 1.0). Never run it again to "refresh" the files: their point is that a
# newer guardia still reads what an older one wrote. A new format version
# gets its own directory and script.
set -eu
out=$(cd "$(dirname "$0")" && pwd)/v1.0
work=$(mktemp -d)
cfg="$work/cfg"; mkdir -p "$cfg"
g() { GUARDIA_NOW=2026-11-20T10:00:00-05:00 GUARDIA_USER=ana \
      ${GUARDIA_BIN:-cargo run -q --} --db "$work/bog.db" --config "$cfg" --lang en "$@"; }
f="--field reporter_email=ana.torres@example.org --field extension=5550 --field executable=FACT01 --field environment=produccion"
g init --site BOG >/dev/null
a=$(g new --type incident --service osf --title 'No factura la sede norte' \
      --description 'Desde las 8:00 el botón Facturar queda en gris en la sede norte.' $f --json |
    sed -n 's/.*"key": *"\([A-Z]*-[0-9]*\)".*/\1/p' | head -1)
b=$(g new --type support --service correo --title 'Buzón compartido lleno' \
      --description 'El buzón de cartera rechaza correos: cuota llena.' --json |
    sed -n 's/.*"key": *"\([A-Z]*-[0-9]*\)".*/\1/p' | head -1)
g comment "$a" 'Llamé a la sede: confirman el error «E-204».' >/dev/null
g worklog "$a" 25m --note 'Diagnóstico inicial' >/dev/null
g assign "$a" bruno >/dev/null
g move "$a" in_progress >/dev/null
g link "$a" "$b" >/dev/null
g runbook run osf-monitoreo "$a" >/dev/null
g runbook tick "$a" bd-conexion --evidence 'Conexión OK a las 10:05' >/dev/null
g set "$b" 'title=Buzón de cartera lleno' >/dev/null
g sync key --out "$out/BOG.pub" >/dev/null
g sync export --out "$out/BOG-1.gdb" >/dev/null
rm -rf "$work"
