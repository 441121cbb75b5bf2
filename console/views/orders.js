// Orders: the most recent orders with status, reason, customer, total and age; filters, cursor paging, live updates; slow orders stand out.
import { html, Component } from '/console/html.js';
import { apiCall, query } from '/console/api.js';
import { startPolling } from '/console/live.js';
import { age, isTerminal, money, orderStatuses, statusClass } from '/console/format.js';

const PAGE_SIZE = 20;

export class Orders extends Component {
  state = { status: '', customerId: '', cursors: [undefined], orders: [], nextCursor: null, details: {}, error: undefined, loadedAt: undefined };
  /**
   * The list from the order view carries reason, currency and the watchdog's flag. Read from Temporal (the view away) it
   * carries none: then they come from each order's own read, kept for good once the order has ended.
   */
  endedDetails = new Map();
  signature = '';

  componentDidMount() {
    // One call a poll (at most 21 while the list comes from Temporal), so 2 s at the quickest keeps well inside 1200/min.
    this.stopPolling = startPolling(() => this.load(), { minMs: 2_000, maxMs: 10_000 });
    void this.load();
  }

  componentWillUnmount() {
    this.stopPolling();
  }

  /** Reads the current page and the details it lacks; resolves true when anything shown changed (the poller's back-off cue). */
  load = async () => {
    const { session } = this.props;
    const { status, customerId, cursors } = this.state;
    const cursor = cursors[cursors.length - 1];
    try {
      const page = await apiCall(session, `/orders${query({ status, customerId: session.role === 'admin' ? customerId.trim() : undefined, limit: PAGE_SIZE, cursor })}`);
      const details = await this.detailsOf(page.orders);
      const signature = JSON.stringify([page, details]);
      const changed = signature !== this.signature;
      this.signature = signature;
      this.setState({ orders: page.orders, nextCursor: page.nextCursor, details, error: undefined, loadedAt: Date.now() });
      return changed;
    } catch (error) {
      this.setState({ error: error.message });
      throw error;
    }
  };

  async detailsOf(orders) {
    const { session } = this.props;
    const entries = await Promise.all(
      orders.map(async ({ orderId, status, reason, currency, inventory }) => {
        if (currency !== undefined) return [orderId, { status, reason, slow: inventory?.slow === true, currency }];
        const kept = this.endedDetails.get(orderId);
        if (kept && kept.status === status) return [orderId, kept];
        const order = await apiCall(session, `/orders/${encodeURIComponent(orderId)}`).catch(() => undefined);
        const detail = { status, reason: order?.reason, slow: order?.inventory?.slow === true, currency: order?.currency };
        if (order && isTerminal(order.status)) this.endedDetails.set(orderId, detail);
        return [orderId, detail];
      }),
    );
    return Object.fromEntries(entries);
  }

  filter = (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    this.setState({ status: form.get('status') ?? '', customerId: form.get('customerId') ?? '', cursors: [undefined] }, () => void this.load());
  };

  page(cursors) {
    this.setState({ cursors }, () => void this.load());
  }

  render({ session }, { status, customerId, cursors, orders, nextCursor, details, error, loadedAt }) {
    const now = Date.now();
    return html`
      <section class="panel">
        <h1>Orders</h1>
        <form class="filters" onSubmit=${this.filter} aria-label="Filter orders">
          <label>Status
            <select name="status" value=${status}>
              <option value="">any</option>
              ${orderStatuses.map((value) => html`<option value=${value}>${value}</option>`)}
            </select>
          </label>
          ${session.role === 'admin'
            ? html`<label>Customer <input name="customerId" value=${customerId} placeholder="any customer" autocomplete="off" /></label>`
            : html`<p class="hint">Your orders (${session.sub})</p>`}
          <button type="submit">Filter</button>
        </form>
        <p class="live" role="status" aria-live="polite">
          ${error ? html`<span class="error">Not updated: ${error}</span>` : loadedAt ? `Live — updated ${new Date(loadedAt).toLocaleTimeString()}` : 'Loading…'}
        </p>
        <div class="table-scroll">
          <table class="orders">
            <thead><tr><th scope="col">Order</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Customer</th><th scope="col" class="number">Total</th><th scope="col">Age</th></tr></thead>
            <tbody>
              ${orders.length === 0 && html`<tr><td colspan="6" class="empty">No orders${status ? ` with status ${status}` : ''} yet — place one in <a href="#/try">Try it</a>.</td></tr>`}
              ${orders.map((order) => {
                const detail = details[order.orderId] ?? {};
                return html`
                  <tr key=${order.orderId} data-order-id=${order.orderId} class=${detail.slow ? 'slow' : ''}>
                    <td><a href=${`#/orders/${encodeURIComponent(order.orderId)}`}>${order.orderId}</a></td>
                    <td><span class=${statusClass(order.status)}>${order.status}</span>${detail.slow && html` <span class="flag" title="The watchdog: waiting on inventory longer than expected">slow: waiting on inventory</span>`}</td>
                    <td>${detail.reason ?? ''}</td>
                    <td>${order.customerId}</td>
                    <td class="number">${detail.currency ? money(order.total, detail.currency) : ''}</td>
                    <td>${age(order.createdAt, now)}</td>
                  </tr>`;
              })}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => this.page([undefined])}>First</button>
          <button type="button" class="secondary" disabled=${cursors.length === 1} onClick=${() => this.page(cursors.slice(0, -1))}>Previous</button>
          <span>Page ${cursors.length}</span>
          <button type="button" class="secondary" disabled=${!nextCursor} onClick=${() => this.page([...cursors, nextCursor])}>Next</button>
        </nav>
      </section>
    `;
  }
}
