// Sign-in: paste a bearer token (npm start prints one for a customer and one for an admin; npm run token mints more).
import { html, Component } from '/console/html.js';
import { apiCall } from '/console/api.js';
import { claimsOf } from '/console/session.js';

export class SignIn extends Component {
  state = { token: '', error: undefined, busy: false };

  submit = async (event) => {
    event.preventDefault();
    const token = this.state.token.trim();
    this.setState({ busy: true, error: undefined });
    try {
      claimsOf(token);
      // One real call, so a wrong or expired token is told here and not on the first view.
      await apiCall({ token }, '/orders?limit=1');
      this.props.onSignIn(token);
    } catch (error) {
      this.setState({ busy: false, error: error.message });
    }
  };

  render(_props, { token, error, busy }) {
    return html`
      <section class="panel narrow">
        <h1>Sign in</h1>
        ${this.props.notice && html`<p class="notice" role="status">${this.props.notice}</p>`}
        <form onSubmit=${this.submit}>
          <label for="token">Bearer token</label>
          <textarea id="token" name="token" rows="4" required spellcheck="false" autocomplete="off"
            value=${token} onInput=${(event) => this.setState({ token: event.currentTarget.value })}></textarea>
          <p class="hint">
            <code>npm start</code> prints a customer token and an admin token; <code>npm run token -- --sub cust-1 --role customer</code> mints another.
            It is kept in this tab's session storage only.
          </p>
          ${error && html`<p class="error" role="alert">${error}</p>`}
          <button type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
        </form>
      </section>
    `;
  }
}
