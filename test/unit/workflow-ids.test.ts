import fc from 'fast-check';
import { ID_SEPARATOR, idPart, workflowIds } from '../../src/shared';

describe('workflow ids', () => {
  it('keep the pair that used to collide apart', () => {
    expect(workflowIds.incidentAck('coll-x', 'y')).not.toBe(workflowIds.incidentAck('coll', 'x-y'));
    expect(workflowIds.incident('coll-x', 'y')).not.toBe(workflowIds.incident('coll', 'x-y'));
    expect(workflowIds.recovery('coll-x', 'y', 1)).not.toBe(workflowIds.recovery('coll', 'x-y', 1));
    expect(workflowIds.drill('a-b', 'c')).not.toBe(workflowIds.drill('a', 'b-c'));
    expect(workflowIds.promotion('exp-1', 'r')).not.toBe(workflowIds.promotion('exp', '1-r'));
  });

  it('read as kind~part~part', () => {
    expect(workflowIds.incidentAck('paper-2026-11-25', 'inc-42')).toBe('incident-ack~paper-2026-11-25~inc-42');
    expect(workflowIds.recovery('r', 'i', 2)).toBe('recovery~r~i~2');
  });

  it('escape the separator so any two different tuples differ (generated)', () => {
    const part = fc.string({ maxLength: 12, unit: fc.constantFrom('a', '-', '~', '%', '7', 'E', '2', '5') });
    fc.assert(
      fc.property(part, part, part, part, (a, b, c, d) => {
        if (a === c && b === d) return;
        expect(workflowIds.incidentAck(a, b)).not.toBe(workflowIds.incidentAck(c, d));
      }),
      { numRuns: 2000 },
    );
    expect(idPart(`a${ID_SEPARATOR}b`)).not.toContain(ID_SEPARATOR);
  });
});
