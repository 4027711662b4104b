/** Event ids as shown in the API: the store sequence number with a prefix ("evt-1234"). */
export const eventId = (seq: number): string => `evt-${seq}`;
