#!/usr/bin/env python3
"""Where a scan's time goes, hop by hop, from a soak run's SOAK_TRACE log.

    SOAK_TRACE=/tmp/trace.log cargo bench --bench soak
    scripts/scan-hops.py /tmp/trace.log

The soak's lanes and the booth log a `clearpark::scan_path` event at each hop of a scan (the
bench's driver writes the code; the scanner's port reads it; the scanner task passes it on; the
booth takes it, decides and commits; the effect reaches the lanes' thread; the gate's line is
written; the bench's gate end reads OPEN). Each lane has one scan in flight at a time, so the
events of a lane follow each other. Printed per phase (idle: the scans of the first half of the
run, soak: the second, as the soak's two phases last equally long by default): p50/p90/p99 of
each hop, its mean among the slowest 2 % and its share of their time, then the slowest scans.
"""
import datetime
import re
import sys

LINE = re.compile(r'^(\S+)\s+TRACE\s+(.*?)\s*(clearpark::[\w:]+): (.*)$')
LANES = {0: 'in', 1: 'out'}  # the soak's lane indexes and ids
MARKS = {'scan to booth': 'S', 'booth took scan': 'B1', 'booth decided scan': 'B2',
         'gate command routed': 'E', 'gate line to port': 'G1', 'gate line written': 'G2'}
HOPS = [('W', 'R', 'pty -> port read'), ('R', 'S', 'port read -> scanner task'),
        ('S', 'B1', 'lanes -> booth'), ('B1', 'B2', 'booth decides, commits'),
        ('B2', 'H', 'booth records, publishes'), ('H', 'E', 'effect -> lanes'),
        ('E', 'G1', 'lanes -> gate task'), ('G1', 'G2', 'gate line written'),
        ('G2', 'O', 'pty -> gate end'), ('W', 'O', 'TOTAL')]


def read(path):
    events = []
    for line in open(path):
        m = LINE.match(line)
        if m:
            at, thread, target, message = m.groups()
            at = datetime.datetime.fromisoformat(at.replace('Z', '+00:00')).timestamp()
            events.append((at, thread.strip(), target, message))
    events.sort(key=lambda e: e[0])
    return events


def scans_of(events):
    scans, current = [], {}
    for at, _thread, target, message in events:
        if target == 'clearpark::booth::runner':
            if 'event="scan"' in message:  # the booth's thread done with the scan
                for scan in current.values():
                    if 'B2' in scan and 'H' not in scan:
                        scan['H'] = at
            continue
        if message.startswith('port read'):
            for scan in current.values():
                if 'R' not in scan:
                    scan.setdefault('reads', []).append(at)
            continue
        if message.startswith('bench: code written'):
            lane = LANES[int(re.search(r'lane=(\d+)', message).group(1))]
            current[lane] = {'lane': lane, 'W': at}
            scans.append(current[lane])
            continue
        if message.startswith('bench: OPEN read'):
            # The gate end may read the line before the lanes' thread logs it written: match
            # on the write's start (the last hop is then slightly negative).
            waiting = [s for s in current.values() if 'G1' in s and 'O' not in s]
            if waiting:
                max(waiting, key=lambda s: s['G1'])['O'] = at
            continue
        lane = re.search(r'lane="(\w+)"', message)
        scan = current.get(lane.group(1)) if lane else None
        if scan is None:
            continue
        for text, mark in MARKS.items():
            if not message.startswith(text) or mark in scan:
                continue
            if (mark == 'G1' and 'E' not in scan) or (mark == 'G2' and 'G1' not in scan):
                break  # a heartbeat's line, not this scan's
            if 'O' in scan and mark != 'G2':
                break  # the scan is done (its line may be logged written after OPEN was read)
            if mark == 'B1' and 'source=Scanner' not in message:
                break  # a remote system's scan on the same lane
            scan[mark] = at
            if mark == 'S':
                reads = [r for r in scan.get('reads', []) if r <= at]
                if reads:
                    scan['R'] = reads[0]
            break
    return [s for s in scans if all(a in s and b in s for a, b, _ in HOPS)]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main():
    scans = scans_of(read(sys.argv[1]))
    if not scans:
        sys.exit('no complete scans in the log (was SOAK_TRACE set?)')
    middle = pct([s['W'] for s in scans], 0.5)
    ms = lambda s, a, b: (s[b] - s[a]) * 1e3
    for phase, chosen in (('idle', [s for s in scans if s['W'] < middle]),
                          ('soak', [s for s in scans if s['W'] >= middle])):
        totals = [ms(s, 'W', 'O') for s in chosen]
        slow = [s for s in chosen if ms(s, 'W', 'O') >= pct(totals, 0.98)]
        slow_total = sum(ms(s, 'W', 'O') for s in slow)
        print(f'\n{phase}: {len(chosen)} scans, p50 {pct(totals, .5):.2f} ms, '
              f'p99 {pct(totals, .99):.2f} ms; the slowest 2 %: {len(slow)}')
        print(f'{"hop (ms)":26s} {"p50":>7s} {"p90":>7s} {"p99":>7s} | {"slow mean":>9s} {"share":>6s}')
        for a, b, label in HOPS:
            hop = [ms(s, a, b) for s in chosen]
            slow_hop = sum(ms(s, a, b) for s in slow)
            print(f'{label:26s} {pct(hop, .5):7.3f} {pct(hop, .9):7.3f} {pct(hop, .99):7.3f} | '
                  f'{slow_hop / len(slow):9.3f} {slow_hop / slow_total * 100:5.1f}%')
        print('the slowest, ms per hop:')
        for s in sorted(chosen, key=lambda s: ms(s, 'W', 'O'), reverse=True)[:8]:
            print('  ' + ' '.join(f'{ms(s, a, b):6.2f}' for a, b, _ in HOPS) + f'  {s["lane"]}')


if __name__ == '__main__':
    main()
