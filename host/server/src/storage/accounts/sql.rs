//! The account store's SQL: [`super::AccountStore`] over a backend's pool.

/// Columns of [`super::User`], in one place so every query returns the same shape.
pub(in crate::storage) const USER_COLUMNS: &str =
    "id, tenant_id, email, role, active, created_at, updated_at";

macro_rules! impl_account_store {
    ($storage:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::accounts::AccountStore for $storage {
            #[tracing::instrument(name = "storage.create_tenant", skip(self, tenant), fields(slug = %tenant.slug))]
            async fn create_tenant(
                &self,
                tenant: $crate::storage::NewTenant,
            ) -> $crate::storage::StorageResult<$crate::storage::Tenant> {
                sqlx::query_as(
                    "INSERT INTO tenants (id, slug, name, time_zone, created_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING id, slug, name, time_zone, pay_period, created_at",
                )
                .bind(tenant.id)
                .bind(tenant.slug.as_str())
                .bind(&tenant.name)
                .bind(tenant.time_zone.name())
                .bind(tenant.created_at)
                .fetch_one(&self.writer)
                .await
                .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "slug"))
            }

            #[tracing::instrument(name = "storage.tenant_by_slug", level = "debug", skip_all)]
            async fn tenant_by_slug(
                &self,
                slug: &$crate::domain::TenantSlug,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::Tenant>> {
                Ok(sqlx::query_as("SELECT id, slug, name, time_zone, pay_period, created_at FROM tenants WHERE slug = $1")
                    .bind(slug.as_str())
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.tenant", level = "debug", skip_all)]
            async fn tenant(
                &self,
                id: $crate::domain::TenantId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::Tenant>> {
                Ok(sqlx::query_as("SELECT id, slug, name, time_zone, pay_period, created_at FROM tenants WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            #[tracing::instrument(name = "storage.update_tenant", level = "debug", skip_all)]
            async fn update_tenant(
                &self,
                id: $crate::domain::TenantId,
                name: Option<String>,
                time_zone: Option<$crate::domain::TimeZone>,
                pay_period: Option<$crate::domain::PayPeriodKind>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::Tenant>> {
                Ok(sqlx::query_as(
                    "UPDATE tenants SET name = COALESCE($2, name), time_zone = COALESCE($3, time_zone),
                            pay_period = COALESCE($4, pay_period)
                     WHERE id = $1 RETURNING id, slug, name, time_zone, pay_period, created_at",
                )
                .bind(id)
                .bind(name)
                .bind(time_zone.map(|tz| tz.name()))
                .bind(pay_period.map(|p| p.as_str()))
                .fetch_optional(&self.writer)
                .await?)
            }

            #[tracing::instrument(name = "storage.create_user", skip(self, user), fields(role = %user.role))]
            async fn create_user(
                &self,
                tenant: $crate::domain::TenantId,
                user: $crate::storage::NewUser,
            ) -> $crate::storage::StorageResult<$crate::storage::User> {
                let sql = format!(
                    "INSERT INTO users (id, tenant_id, email, password_hash, role, active, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(user.id)
                    .bind(tenant)
                    .bind(user.email.as_str())
                    .bind(&user.password_hash)
                    .bind(user.role.as_str())
                    .bind(user.active)
                    .bind(user.created_at)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "email"))
            }

            #[tracing::instrument(name = "storage.user", level = "debug", skip_all)]
            async fn user(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::UserId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::User>> {
                let sql = format!(
                    "SELECT {} FROM users WHERE tenant_id = $1 AND id = $2",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.credentials", level = "debug", skip_all)]
            async fn credentials(
                &self,
                tenant: $crate::domain::TenantId,
                email: &$crate::domain::Email,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::UserCredentials>> {
                let sql = format!(
                    "SELECT {}, password_hash FROM users WHERE tenant_id = $1 AND email = $2",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                Ok(sqlx::query_as(&sql).bind(tenant).bind(email.as_str()).fetch_optional(&self.reader).await?)
            }

            #[tracing::instrument(name = "storage.list_users", skip(self))]
            async fn list_users(
                &self,
                tenant: $crate::domain::TenantId,
                filter: &$crate::storage::UserFilter,
                page: $crate::domain::PageRequest,
            ) -> $crate::storage::StorageResult<(Vec<$crate::storage::User>, u64)> {
                // NULL parameters switch a filter off, so one statement serves every
                // combination and stays in the prepared-statement cache.
                const WHERE: &str = "WHERE tenant_id = $1
                    AND ($2 IS NULL OR role = $2)
                    AND ($3 IS NULL OR active = $3)
                    AND ($4 IS NULL OR email LIKE $4 ESCAPE '\\')";
                let role = filter.role.map(|r| r.as_str());
                let pattern = filter.email_contains.as_ref().map(|needle| $crate::storage::sql::like_contains(&needle.to_lowercase()));
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users {WHERE}"))
                    .bind(tenant)
                    .bind(role)
                    .bind(filter.active)
                    .bind(pattern.as_deref())
                    .fetch_one(&self.reader)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM users {WHERE} ORDER BY email, id LIMIT $5 OFFSET $6",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                let items = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(role)
                    .bind(filter.active)
                    .bind(pattern.as_deref())
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(&self.reader)
                    .await?;
                Ok((items, u64::try_from(total).unwrap_or_default()))
            }

            #[tracing::instrument(name = "storage.update_user", skip(self, patch))]
            async fn update_user(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::UserId,
                patch: $crate::storage::UserPatch,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::User>> {
                let mut tx = self.writer.begin().await?;
                let sql = format!(
                    "UPDATE users SET
                        email = COALESCE($3, email),
                        password_hash = COALESCE($4, password_hash),
                        role = COALESCE($5, role),
                        active = COALESCE($6, active),
                        updated_at = $7
                     WHERE tenant_id = $1 AND id = $2
                     RETURNING {}",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                let user: Option<$crate::storage::User> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(id)
                    .bind(patch.email.as_ref().map(|e| e.as_str()))
                    .bind(patch.password_hash.as_deref())
                    .bind(patch.role.map(|r| r.as_str()))
                    .bind(patch.active)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| $crate::storage::sql::duplicate_or::<$storage>(e, "email"))?;
                // A deactivated account or a new password ends every open login.
                if let Some(reason) = patch.ends_sessions().filter(|_| user.is_some()) {
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $2, revoke_reason = $3
                         WHERE user_id = $1 AND revoked_at IS NULL",
                    )
                    .bind(id)
                    .bind(now)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(user)
            }

            #[tracing::instrument(name = "storage.create_session", level = "debug", skip_all)]
            async fn create_session(
                &self,
                session: $crate::storage::NewSession,
            ) -> $crate::storage::StorageResult<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("INSERT INTO sessions (id, tenant_id, user_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(session.id)
                    .bind(session.tenant_id)
                    .bind(session.user_id)
                    .bind(session.created_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&session.refresh_token_hash)
                .bind(session.id)
                .bind(session.created_at)
                .bind(session.refresh_expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.rotate_refresh_token", skip_all)]
            async fn rotate_refresh_token(
                &self,
                presented_hash: &[u8],
                successor_hash: &[u8],
                successor_expires_at: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<$crate::storage::RefreshOutcome> {
                use $crate::storage::RefreshOutcome;
                let mut tx = self.writer.begin().await?;
                // Spend first: the conditional UPDATE is the single point where two
                // concurrent refreshes race, and only one of them can see `spent_at IS NULL`.
                // Writing first also takes SQLite's write lock up front, so the transaction
                // never has to upgrade a read lock (which fails instead of waiting).
                let spent: Option<($crate::domain::SessionId, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "UPDATE refresh_tokens SET spent_at = $2
                     WHERE token_hash = $1 AND spent_at IS NULL
                     RETURNING session_id, expires_at",
                )
                .bind(presented_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((session, expires_at)) = spent else {
                    let known: Option<$crate::domain::SessionId> =
                        sqlx::query_scalar("SELECT session_id FROM refresh_tokens WHERE token_hash = $1")
                            .bind(presented_hash)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let Some(session) = known else {
                        return Ok(RefreshOutcome::Rejected);
                    };
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $2, revoke_reason = 'refresh token reuse'
                         WHERE id = $1 AND revoked_at IS NULL",
                    )
                    .bind(session)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(RefreshOutcome::Reused { session });
                };
                let sql = format!(
                    "SELECT {} FROM users WHERE id = (SELECT user_id FROM sessions WHERE id = $1 AND revoked_at IS NULL)",
                    $crate::storage::accounts::sql::USER_COLUMNS
                );
                let user: Option<$crate::storage::User> =
                    sqlx::query_as(&sql).bind(session).fetch_optional(&mut *tx).await?;
                let user = match user {
                    Some(user) if user.active && expires_at > now => user,
                    // Dropping the transaction rolls the spend back: a rejected token
                    // stays as it was.
                    _ => return Ok(RefreshOutcome::Rejected),
                };
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(successor_hash)
                .bind(session)
                .bind(now)
                .bind(successor_expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(RefreshOutcome::Rotated { session, user })
            }

            #[tracing::instrument(name = "storage.revoke_session_by_refresh_token", level = "debug", skip_all)]
            async fn revoke_session_by_refresh_token(
                &self,
                hash: &[u8],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<bool> {
                let revoked = sqlx::query(
                    "UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2), revoke_reason = COALESCE(revoke_reason, 'logout')
                     WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)",
                )
                .bind(hash)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(revoked.rows_affected() > 0)
            }

            #[tracing::instrument(name = "storage.revoke_session", level = "debug", skip_all)]
            async fn revoke_session(
                &self,
                session: $crate::domain::SessionId,
                reason: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StorageResult<()> {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(session)
                .bind(now)
                .bind(reason)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            #[tracing::instrument(name = "storage.principal", level = "debug", skip_all)]
            async fn principal(
                &self,
                session: $crate::domain::SessionId,
            ) -> $crate::storage::StorageResult<Option<$crate::storage::Principal>> {
                Ok(sqlx::query_as(
                    "SELECT u.id AS user_id, u.tenant_id, u.role, u.active,
                            (s.revoked_at IS NOT NULL) AS session_revoked,
                            t.time_zone, tech.id AS technician_id
                     FROM sessions s
                     JOIN users u ON u.id = s.user_id
                     JOIN tenants t ON t.id = u.tenant_id
                     LEFT JOIN technicians tech ON tech.user_id = u.id AND tech.tenant_id = u.tenant_id
                     WHERE s.id = $1",
                )
                .bind(session)
                .fetch_optional(&self.reader)
                .await?)
            }
        }
    };
}

pub(crate) use impl_account_store;
