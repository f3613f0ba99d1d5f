package dev.modelfleet.server.console;

import dev.modelfleet.server.access.ConsoleSessions.Session;
import dev.modelfleet.server.access.Role;
import jakarta.enterprise.context.RequestScoped;

/** Who is looking at the console page being rendered; filled by {@link ConsoleAuthFilter}. */
@RequestScoped
public class ConsoleUser {

  private Session session;

  void signedIn(Session session) {
    this.session = session;
  }

  public Session session() {
    if (session == null) {
      throw new IllegalStateException("no console session on this request");
    }
    return session;
  }

  public String name() {
    return session().identity().name();
  }

  public String role() {
    return session().identity().role().wire();
  }

  /** Whether to show controls that change the fleet (operators and admins). */
  public boolean canAct() {
    return session().identity().role() != Role.VIEWER;
  }

  public boolean isAdmin() {
    return session().identity().role() == Role.ADMIN;
  }

  public String csrf() {
    return session().csrfToken();
  }
}
