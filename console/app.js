// The console's shell: who is signed in, which view the address names (#/orders, #/orders/<id>, #/try, #/operators), and the navigation.
import { html, render, Component } from '/console/html.js';
import { whenUnauthenticated } from '/console/api.js';
import { clearSession, loadSession, saveSession } from '/console/session.js';
import { SignIn } from '/console/views/sign-in.js';
import { Orders } from '/console/views/orders.js';
import { OrderPage } from '/console/views/order.js';
import { TryIt } from '/console/views/try-it.js';
import { Operators } from '/console/views/operators.js';

/** Hash routes keep the console one page the API serves at `/`, with links that work as links (back, new tab, keyboard). */
function routeOf(hash) {
  const path = hash.replace(/^#/, '') || '/orders';
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (order) return { view: 'order', orderId: decodeURIComponent(order[1]) };
  if (path === '/try') return { view: 'try' };
  if (path === '/operators') return { view: 'operators' };
  return { view: 'orders' };
}

class App extends Component {
  state = { session: loadSession(), route: routeOf(location.hash), notice: undefined };

  componentDidMount() {
    this.onHashChange = () => this.setState({ route: routeOf(location.hash) });
    window.addEventListener('hashchange', this.onHashChange);
    whenUnauthenticated(() => this.signOut('Your token was refused (expired or not valid): sign in again.'));
  }

  componentWillUnmount() {
    window.removeEventListener('hashchange', this.onHashChange);
  }

  signIn = (token) => {
    const session = saveSession(token);
    this.setState({ session, notice: undefined });
  };

  signOut = (notice) => {
    clearSession();
    this.setState({ session: undefined, notice: typeof notice === 'string' ? notice : undefined });
  };

  view() {
    const { session, route } = this.state;
    if (route.view === 'order') return html`<${OrderPage} key=${route.orderId} session=${session} orderId=${route.orderId} />`;
    if (route.view === 'try') return html`<${TryIt} session=${session} />`;
    if (route.view === 'operators') {
      return session.role === 'admin' ? html`<${Operators} session=${session} />` : html`<p class="error" role="alert">The operators' view needs an admin token.</p>`;
    }
    return html`<${Orders} session=${session} />`;
  }

  render() {
    const { session, route, notice } = this.state;
    const current = (view) => (route.view === view ? 'page' : undefined);
    return html`
      <header class="top">
        <a class="brand" href="#/orders">Ensemble</a>
        ${session &&
        html`<nav aria-label="Views">
            <a href="#/orders" aria-current=${current('orders')}>Orders</a>
            <a href="#/try" aria-current=${current('try')}>Try it</a>
            ${session.role === 'admin' && html`<a href="#/operators" aria-current=${current('operators')}>Operators</a>`}
          </nav>
          <div class="who">
            <span>${session.sub} <span class="role">${session.role}</span></span>
            <button type="button" class="secondary" onClick=${this.signOut}>Sign out</button>
          </div>`}
      </header>
      <main id="main">${session ? this.view() : html`<${SignIn} onSignIn=${this.signIn} notice=${notice} />`}</main>
    `;
  }
}

const root = document.getElementById('console');
// The page's "Loading…" text is for a browser that has not run this yet; preact 11 renders beside what it finds, so it goes first.
root.replaceChildren();
render(html`<${App} />`, root);
