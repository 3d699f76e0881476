/*
 * The host pattern index finds what a scan with `hostMatches` finds, in the same order: exact
 * names, `*`, `*.suffix` and `*suffix` patterns, several patterns per item, hosts shorter than a
 * suffix.
 *
 *   FC_SEED=<seed> FC_RUNS=<runs> npx jest test/model-host-index
 */
import fc from 'fast-check';
import { HostPatternIndex, hostMatches } from '../src/model/hosts';
import { announce, params } from './property-util';

announce('test/model-host-index.test.ts');

const label = fc.constantFrom('a', 'b', 'ab', 'svc', 'x-1');
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const pattern = fc.oneof(
  name,
  name.map((n) => `*.${n}`),
  name.map((n) => `*${n}`),
  fc.constant('*'),
  name.map((n) => `${n}*`),
);

test('HostPatternIndex.match agrees with hostMatches over every item, in order', () => {
  fc.assert(fc.property(fc.array(fc.array(pattern, { maxLength: 3 }), { maxLength: 12 }), fc.array(name, { minLength: 1, maxLength: 8 }), (items, hosts) => {
    const index = new HostPatternIndex<number>();
    items.forEach((patterns, i) => index.add(patterns, i));
    for (const host of hosts) {
      const expected = items.map((patterns, i) => (patterns.some((p) => hostMatches(p, host)) ? i : -1)).filter((i) => i >= 0);
      expect(index.match(host)).toEqual(expected);
    }
  }), params());
});

test('an item named by an exact host and a wildcard is found once', () => {
  const index = new HostPatternIndex<string>();
  index.add(['api.example.com', '*.example.com', '*'], 'first');
  index.add(['*.com'], 'second');
  expect(index.match('api.example.com')).toEqual(['first', 'second']);
  expect(index.match('com')).toEqual(['first']);
});
