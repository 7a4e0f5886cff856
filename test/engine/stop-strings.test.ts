import * as assert from 'node:assert/strict';
import { StopStringMatcher } from '../../gpu/engine/stop-strings';

function run(stops: string[], pieces: string[]): { out: string[]; stopped: boolean; rest: string } {
  const m = new StopStringMatcher(stops);
  const out: string[] = [];
  for (const p of pieces) {
    const r = m.push(p);
    out.push(r.emit);
    if (r.stopped) return { out, stopped: true, rest: '' };
  }
  return { out, stopped: false, rest: m.flush() };
}

describe('stop strings', () => {
  it('passes text through when there are no stop strings', () => {
    assert.deepEqual(run([], ['a', 'b']), { out: ['a', 'b'], stopped: false, rest: '' });
  });
  it('holds back a possible start of a stop string and drops the stop string itself', () => {
    const r = run(['User:'], ['Hello ', 'Us', 'er: more']);
    assert.deepEqual(r.out, ['Hello ', '', '']);
    assert.equal(r.stopped, true);
  });
  it('releases held text when the stop string does not complete', () => {
    const r = run(['User:'], ['Hello Us', 'ual']);
    assert.deepEqual(r.out, ['Hello ', 'Usual']);
    assert.equal(r.stopped, false);
  });
  it('flushes a dangling partial match at the end', () => {
    const r = run(['</s>'], ['x</']);
    assert.deepEqual(r.out, ['x']);
    assert.equal(r.rest, '</');
  });
  it('stops at the earliest of several stop strings, inside one piece', () => {
    const r = run(['STOP', 'END'], ['abc END def STOP']);
    assert.deepEqual(r.out, ['abc ']);
  });
});
