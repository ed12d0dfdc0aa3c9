#!/usr/bin/env bash
# layers.sh [SOURCE_DIR]: lib/ depends one way, and this proves it on every build.
#
# The layers, lowest first: base < net < probe < cli < http < vip_http < daemon.
# A file in lib/src/LAYER/ may include only headers of LAYER or of a layer below it;
# a public header lib/include/vipcheck/X.hpp belongs to the layer whose folder holds
# X.cpp (or, for a header without one, to the layer the table below names) and obeys
# the same rule. A public header is installed, so it may include no private header.
# Each breach is one line naming the file, the line and the include; any breach, or a
# header this script cannot place, fails.
set -uo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
lib=$root/lib
[[ -d $lib/src && -d $lib/include/vipcheck ]] || { echo "layers: no lib/src or lib/include/vipcheck under $root" >&2; exit 1; }

layers=(base net probe cli http vip_http daemon)
declare -A rank=()
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

# Public headers with no source of their own, and the layer they belong to.
declare -A header_only=(
    [encap]=base    # the tunnel kinds: options parse them, frames build them
    [version]=base  # configure_file(version.hpp.in)
)

# public_layer NAME: the layer of lib/include/vipcheck/NAME.hpp, or nothing.
public_layer() {
    local name=$1 src
    for src in "$lib"/src/*/"$name".cpp; do
        [[ -f $src ]] || continue
        src=${src%/*}
        echo "${src##*/}"
        return
    done
    echo "${header_only[$name]:-}"
}

fail=0 files=0
breach() {
    echo "not ok - $1"
    fail=$((fail + 1))
}

# check FILE LAYER PUBLIC: every quoted or vipcheck/ include of FILE.
check() {
    local file=$1 own=$2 public=$3 rel=${1#"$root"/} n line inc target tl
    files=$((files + 1))
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+)[\"\>] ]] || continue
        inc=${BASH_REMATCH[1]}
        [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\< && $inc != vipcheck/* ]] && continue
        case $inc in
            vipcheck/*.hpp)
                target=${inc#vipcheck/}
                target=${target%.hpp}
                tl=$(public_layer "$target")
                if [[ -z $tl ]]; then
                    breach "$rel:$n: #include \"$inc\": no lib/src/*/$target.cpp and no row for '$target' in tests/layers.sh's header_only table"
                    continue
                fi
                ;;
            */*.hpp)
                tl=${inc%%/*}
                if [[ -z ${rank[$tl]:-} ]]; then
                    breach "$rel:$n: #include \"$inc\": '$tl' is not a layer (${layers[*]})"
                    continue
                fi
                if ((public)); then
                    breach "$rel:$n: #include \"$inc\": a public header includes a private one (it would not be installed)"
                    continue
                fi
                ;;
            *)
                breach "$rel:$n: #include \"$inc\": name the layer (\"LAYER/$inc\") or the public header (\"vipcheck/$inc\")"
                continue
                ;;
        esac
        if ((rank[$tl] > rank[$own])); then
            breach "$rel:$n: #include \"$inc\": $own may not include $tl (layers, lowest first: ${layers[*]})"
        fi
    done <"$file"
}

for dir in "$lib"/src/*/; do
    own=${dir%/}
    own=${own##*/}
    if [[ -z ${rank[$own]:-} ]]; then
        breach "lib/src/$own/: not a layer (${layers[*]}); add it to tests/layers.sh in its place"
        continue
    fi
    for file in "$dir"*.cpp "$dir"*.hpp; do
        [[ -f $file ]] && check "$file" "$own" 0
    done
done
for file in "$lib"/src/*.cpp "$lib"/src/*.hpp; do
    [[ -f $file ]] && breach "${file#"$root"/}: outside every layer folder"
done
for file in "$lib"/include/vipcheck/*.hpp "$lib"/include/vipcheck/*.hpp.in; do
    [[ -f $file ]] || continue
    name=${file##*/}
    name=${name%.in}
    name=${name%.hpp}
    own=$(public_layer "$name")
    if [[ -z $own ]]; then
        breach "${file#"$root"/}: no lib/src/*/$name.cpp and no row for '$name' in tests/layers.sh's header_only table"
        continue
    fi
    check "$file" "$own" 1
done

echo "layers: $files files checked, $fail breaches"
((fail == 0))
