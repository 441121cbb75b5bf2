// Try it: place a demo order from the catalog with a test card (approve, decline, flaky) and open its page to watch it run.
import { html, Component } from '/console/html.js';
import { apiCall } from '/console/api.js';
import { money } from '/console/format.js';

const CARDS = [
  ['tok_visa', 'tok_visa — approves'],
  ['tok_declined', 'tok_declined — declines'],
  ['tok_flaky', 'tok_flaky — fails twice (503), then approves'],
];

/** A fixed demo address: the form is about the story of an order, not about typing an address. */
const DEMO_ADDRESS = { name: 'Ada Lovelace', line1: '12 Demo Street', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

export class TryIt extends Component {
  state = { products: [], sku: '', quantity: 1, card: 'tok_visa', customerId: '', email: 'demo@example.com', error: undefined, details: [], placing: false };

  async componentDidMount() {
    try {
      const { products } = await apiCall(this.props.session, '/products');
      const orderable = products.filter((product) => product.active && product.available > 0);
      this.setState({ products: orderable, sku: orderable[0]?.sku ?? '', customerId: this.props.session.sub });
    } catch (error) {
      this.setState({ error: `The catalog could not be read: ${error.message}` });
    }
  }

  place = async (event) => {
    event.preventDefault();
    const { session } = this.props;
    const { sku, quantity, card, customerId, email } = this.state;
    this.setState({ placing: true, error: undefined, details: [] });
    try {
      const order = await apiCall(session, '/orders', {
        method: 'POST',
        // One key per submission: a double click or a retried request places one order, not two.
        headers: { 'idempotency-key': this.idempotencyKey ?? (this.idempotencyKey = crypto.randomUUID()) },
        body: { customerId: session.role === 'admin' ? customerId.trim() : session.sub, email, items: [{ sku, quantity: Number(quantity) }], paymentToken: card, shippingAddress: DEMO_ADDRESS },
      });
      location.hash = `#/orders/${encodeURIComponent(order.orderId)}`;
    } catch (error) {
      this.idempotencyKey = undefined;
      this.setState({ placing: false, error: error.message, details: error.details ?? [] });
    }
  };

  field = (name) => (event) => {
    this.idempotencyKey = undefined;
    this.setState({ [name]: event.currentTarget.value });
  };

  render({ session }, { products, sku, quantity, card, customerId, email, error, details, placing }) {
    return html`
      <section class="panel narrow">
        <h1>Try it</h1>
        <p class="hint">Places a demo order and opens its page: watch the workflow verify the cart and take the payment, then inventory, the bridge and notifications play their part.</p>
        <form class="try-it" onSubmit=${this.place}>
          <label for="sku">Product</label>
          <select id="sku" name="sku" value=${sku} onChange=${this.field('sku')} required>
            ${products.map((product) => html`<option value=${product.sku}>${product.name} (${product.sku}) — ${money(product.price, product.currency)}, ${product.available} available</option>`)}
          </select>
          <label for="quantity">Quantity</label>
          <input id="quantity" name="quantity" type="number" min="1" max="100" value=${quantity} onInput=${this.field('quantity')} required />
          <fieldset>
            <legend>Test card</legend>
            ${CARDS.map(
              ([token, label]) => html`<label class="choice"><input type="radio" name="card" value=${token} checked=${card === token} onChange=${this.field('card')} /> ${label}</label>`,
            )}
          </fieldset>
          ${session.role === 'admin'
            ? html`<label for="customerId">Order as customer</label>
                <input id="customerId" name="customerId" value=${customerId} onInput=${this.field('customerId')} required autocomplete="off" />`
            : html`<p class="hint">Ordering as ${session.sub}.</p>`}
          <label for="email">Email</label>
          <input id="email" name="email" type="email" value=${email} onInput=${this.field('email')} required />
          ${error && html`<div class="error" role="alert"><p>${error}</p>${details.length > 0 && html`<ul>${details.map((detail) => html`<li>${detail.sku ?? detail.path}: ${detail.reason ?? detail.message}</li>`)}</ul>`}</div>`}
          <button type="submit" disabled=${placing || products.length === 0}>${placing ? 'Placing…' : 'Place order'}</button>
        </form>
      </section>
    `;
  }
}
