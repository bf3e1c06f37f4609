# Prints the constants table of PROTOCOL.md section 11 from the constants.ts files: python3 scripts/constants-table.py
import re,glob
rows=[]
for f in sorted(glob.glob('protocol/*/constants.ts'))+['bootstrap/mailbox/constants.ts','node/messaging/constants.ts']:
    src=open(f).read()
    for m in re.finditer(r'(/\*\*((?:(?!\*/).)*?)\*/\s*)?export const ([A-Z][A-Z0-9_]+)\s*(?::[^=]+)?=\s*([^\n]+)', src, re.S):
        doc=re.sub(r'\s*\n\s*\*\s*',' ',m.group(2) or '').strip()
        val=m.group(4).strip().rstrip(';')
        if len(val)>60: val=val[:57]+'...'
        rows.append((f,m.group(3),val.replace('|','\\|'),doc.replace('|','\\|')))
print('| constant | value | defined in | meaning |')
print('|---|---|---|---|')
for f,n,v,d in rows:
    print(f'| `{n}` | `{v}` | {f} | {d} |')
