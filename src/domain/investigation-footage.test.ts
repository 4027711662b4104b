import { describe, expect, it } from 'vitest';
import { withFootage, type ChecklistItem } from './investigation.js';
import { taskAssignedEmail } from './task-content.js';

const clip = (camera: string): ChecklistItem => ({ id: `clip:${camera}`, kind: 'clip', camera, from: 'a', to: 'b', zones: ['z'], assets: [], basis: 'declared', done: false });
const win = { from: '2026-11-18T06:40:00.000Z', to: '2026-11-18T07:10:00.000Z' };
const footage = (id: string) => ({ frigateId: id, clip: `http://nvr:5000/api/events/${id}/clip.mp4`, snapshot: `http://nvr:5000/api/events/${id}/snapshot.jpg` });

describe('withFootage', () => {
  it("puts an event's NVR footage on the clip item of its camera, once per NVR event", () => {
    const items = withFootage([clip('cam-a'), clip('cam-b')], [
      { eventId: 'evt-1', at: '2026-11-18T06:50:00.000Z', device: 'cam-a', footage: footage('f1') },
      { eventId: 'evt-2', at: '2026-11-18T06:51:00.000Z', device: 'cam-a', footage: footage('f1') },
      { eventId: 'evt-3', at: '2026-11-18T06:52:00.000Z', device: 'cam-b', footage: null },
    ], win);
    expect(items[0]).toMatchObject({ camera: 'cam-a', footage: [{ eventId: 'evt-1', nvrEventId: 'f1', clip: 'http://nvr:5000/api/events/f1/clip.mp4', snapshot: 'http://nvr:5000/api/events/f1/snapshot.jpg' }] });
    expect(items[1]).not.toHaveProperty('footage');
  });

  it('adds a clip item for a camera that recorded an event but covers none of the zones', () => {
    const items = withFootage([clip('cam-a')], [{ eventId: 'evt-1', at: 'x', device: 'cam-z', footage: footage('f2') }], win);
    expect(items[1]).toMatchObject({ id: 'clip:cam-z', kind: 'clip', camera: 'cam-z', basis: 'event', ...win, footage: [{ nvrEventId: 'f2' }] });
  });

  it('ignores links that are not http(s) and footage without an id', () => {
    const items = withFootage([], [
      { eventId: 'evt-1', at: 'x', device: 'cam-a', footage: { frigateId: 'f', clip: 'javascript:alert(1)', snapshot: 'file:///etc/passwd' } },
      { eventId: 'evt-2', at: 'x', device: 'cam-a', footage: { clip: 'http://nvr/clip.mp4' } },
    ], win);
    expect(items).toEqual([]);
  });

  it('the assignment email lists the footage links', () => {
    const checklist = withFootage([clip('cam-a')], [{ eventId: 'evt-1', at: 'x', device: 'cam-a', footage: footage('f1') }], win);
    const mail = taskAssignedEmail({ id: 't', title: 'T', kind: 'investigation', incidentId: 'inc-1', siteName: 'S', timeZone: 'UTC', dueAt: null, assigneeName: null, checklist, publicUrl: 'http://v' });
    expect(mail.text).toContain('clip http://nvr:5000/api/events/f1/clip.mp4');
  });
});
