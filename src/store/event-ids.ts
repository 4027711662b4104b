/** Event ids as shown in the API: the store sequence number with a prefix ("evt-1234"). */
export const eventId = (seq: number): string => `evt-${seq}`;

/** Parses an API event id back to its sequence number (NaN when it is not one). */
export const eventSeq = (id: string): number => (/^evt-\d{1,15}$/.test(id) ? Number(id.slice(4)) : NaN);
