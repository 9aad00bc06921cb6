import { SignJWT } from 'jose';

/** Roles as Supabase defines them; PostgREST switches to the one named in the JWT's `role` claim. */
export enum DatabaseRole {
  Anon = 'anon',
  Authenticated = 'authenticated',
  ServiceRole = 'service_role',
}

/**
 * Signs an HS256 JWT PostgREST accepts. The local stack uses it for the service-role key; tests and
 * users use it for tenant-scoped keys (`tenant_id` claim, read by the RLS policies).
 */
export async function signDatabaseJwt(
  secret: string,
  role: DatabaseRole,
  claims: Record<string, unknown> = {},
  expiresIn = '10y',
): Promise<string> {
  return new SignJWT({ ...claims, role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setIssuer('switchyard')
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
