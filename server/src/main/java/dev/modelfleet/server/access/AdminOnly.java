package dev.modelfleet.server.access;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a resource class that only role admin may use, however a request spelled its way there.
 * {@link AccessPolicy} refuses other roles by path before routing and, for classes marked so, again
 * after it: "/api/v1/./access" routes to the same class as "/api/v1/access". Whoever adds a
 * resource to an admin-only area marks it; a test checks that the admin-only areas' resources are.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface AdminOnly {}
