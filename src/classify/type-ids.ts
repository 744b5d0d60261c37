/**
 * Identifiers of the built-in sensitive information types (SITs).
 *
 * Where Microsoft Purview defines the type, the id is Microsoft's GUID, so classification results
 * are meaningful to a tenant's own policies and to Graph's `evaluateClassificationResults`.
 * Purview has no built-in "email address" or "phone number" type; labelgate gives them stable
 * GUIDs of its own (documented in the README). They never change between versions.
 */
export const SIT = {
  creditCard: '50842eb7-edc8-4019-85dd-5a5c1f2bb085',
  euDebitCard: '0e9b3178-9678-47dd-a509-37222ca96b42',
  usSsn: 'a44669fe-0d48-453d-a9b1-2cc83f2cba77',
  iban: 'e7dc4711-11b7-4cb0-b88b-2c394a771f0e',
  abaRouting: 'cb353f78-2b72-4c3c-8827-92ebe4f69fdf',
  usBankAccount: 'a2ce32a8-f935-4bb6-8e96-2a5157672e2c',
  usUkPassport: '178ec42a-18b4-47cc-85c7-d62c92fd67f8',
  ukNino: '16c07343-c26f-49d2-a987-3daf717e94cc',
  ipAddress: '1daa4ad5-e2dd-4ca4-a788-54722c09efb2',
  ipv4Address: 'a7dd5e5f-e7f9-4626-a2c6-86a8cb6830d2',
  ipv6Address: '3f691089-7413-4926-ab3b-3c5ea8a1c17e',
  /** labelgate's own id: Purview has no built-in email address type. */
  email: 'af323ad0-257d-48da-a082-057edc86337e',
  /** labelgate's own id: Purview has no built-in phone number type. */
  phone: 'a70b8ac2-d9d3-4cc7-b684-9e87a0cd1afb',
} as const;

export type BuiltinTypeKey = keyof typeof SIT;

/** Human names, as Purview spells them where it defines the type. */
export const SIT_NAMES: Readonly<Record<string, string>> = {
  [SIT.creditCard]: 'Credit Card Number',
  [SIT.euDebitCard]: 'EU Debit Card Number',
  [SIT.usSsn]: 'U.S. Social Security Number (SSN)',
  [SIT.iban]: 'International Banking Account Number (IBAN)',
  [SIT.abaRouting]: 'ABA Routing Number',
  [SIT.usBankAccount]: 'U.S. Bank Account Number',
  [SIT.usUkPassport]: 'U.S. / U.K. Passport Number',
  [SIT.ukNino]: 'U.K. National Insurance Number (NINO)',
  [SIT.ipAddress]: 'IP Address',
  [SIT.ipv4Address]: 'IP Address v4',
  [SIT.ipv6Address]: 'IP Address v6',
  [SIT.email]: 'Email Address (labelgate)',
  [SIT.phone]: 'Phone Number (labelgate)',
};

export const BUILTIN_TYPE_IDS: ReadonlySet<string> = new Set(Object.values(SIT));
