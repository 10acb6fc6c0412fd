<?php
/**
 * The feeds list (WP_List_Table): name, source, status in words, last and next run, posts made, held and
 * failed items; sortable, searchable, with views by status and bulk actions.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin;

use ATAI\Admin\Feed_Health_View;
use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Post_Source;
use ATAI\Clock;
use ATAI\Costs;
use ATAI\Feed;
use ATAI\Schema;

/**
 * Lists the feeds with their row actions (Edit, Run now, Pause/Resume, Delete) and bulk actions.
 *
 * @since 0.1.0
 */
class Feeds_List_Table extends \WP_List_Table {

	const PER_PAGE = 20;

	/** Views by state (Health\state()): "failing" is an active feed whose last run failed. */
	const VIEWS = array( 'active', 'failing', 'paused' );

	/** Sortable columns and the SQL they sort by. */
	const SORTS = array(
		'feed'       => 'title',
		'last_run'   => 'last_run_at',
		'next_run'   => 'next_run_at',
		'posts_made' => 'posts_made',
	);

	/**
	 * Item counts by feed ID for the rows on this page: posted, held, failed.
	 *
	 * @var array<int, array{posted: int, held: int, failed: int}>
	 */
	private array $counts = array();

	/**
	 * Titles that more than one feed has (those rows also name their host).
	 *
	 * @var array<string, true>
	 */
	private array $shared_titles = array();

	/**
	 * AI costs by feed ID (Costs\by_feed()), for the rows on this page.
	 *
	 * @var array<int, array{month: int, total: int, items: int, unpriced: int}>
	 */
	private array $costs = array();

	/**
	 * Set up the table.
	 *
	 * @since 0.1.0
	 */
	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'feed',
				'plural'   => 'feeds',
				'ajax'     => false,
			)
		);
	}

	/**
	 * Columns.
	 *
	 * @since 0.1.0
	 *
	 * @return array<string, string>
	 */
	public function get_columns() {
		return array(
			'cb'         => '<input type="checkbox" />',
			'feed'       => __( 'Feed', 'automationtools-ai' ),
			'source'     => __( 'Source', 'automationtools-ai' ),
			'status'     => __( 'Status', 'automationtools-ai' ),
			'last_run'   => __( 'Last run', 'automationtools-ai' ),
			'next_run'   => __( 'Next run', 'automationtools-ai' ),
			'posts_made' => __( 'Posts made', 'automationtools-ai' ),
			'held'       => __( 'Held', 'automationtools-ai' ),
			'failed'     => __( 'Failed', 'automationtools-ai' ),
			'ai_cost'    => __( 'AI cost', 'automationtools-ai' ),
			'last_error' => __( 'Last error', 'automationtools-ai' ),
		);
	}

	/**
	 * Sortable columns.
	 *
	 * @since 0.2.0
	 *
	 * @return array<string, array{0: string, 1: bool}>
	 */
	protected function get_sortable_columns() {
		return array(
			'feed'       => array( 'feed', false ),
			'last_run'   => array( 'last_run', true ),
			'next_run'   => array( 'next_run', false ),
			'posts_made' => array( 'posts_made', true ),
		);
	}

	/**
	 * Bulk actions.
	 *
	 * @since 0.2.0
	 *
	 * @return array<string, string>
	 */
	protected function get_bulk_actions() {
		return array(
			'pause'  => __( 'Pause', 'automationtools-ai' ),
			'resume' => __( 'Resume', 'automationtools-ai' ),
			'run'    => __( 'Run now', 'automationtools-ai' ),
			'delete' => __( 'Delete', 'automationtools-ai' ),
		);
	}

	/**
	 * The request's view, search and order, cleaned.
	 *
	 * @since 0.2.0
	 *
	 * @return array{view: string, search: string, orderby: string, order: string}
	 */
	public static function query_args(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- views, search and sorting change nothing.
		$view    = isset( $_GET['status'] ) ? sanitize_key( wp_unslash( $_GET['status'] ) ) : '';
		$orderby = isset( $_GET['orderby'] ) ? sanitize_key( wp_unslash( $_GET['orderby'] ) ) : '';
		$order   = isset( $_GET['order'] ) && 'asc' === strtolower( sanitize_key( wp_unslash( $_GET['order'] ) ) ) ? 'ASC' : 'DESC';
		$search  = isset( $_GET['s'] ) ? trim( sanitize_text_field( wp_unslash( $_GET['s'] ) ) ) : '';
		// phpcs:enable
		return array(
			'view'    => in_array( $view, self::VIEWS, true ) ? $view : '',
			'search'  => $search,
			'orderby' => isset( self::SORTS[ $orderby ] ) ? $orderby : '',
			'order'   => $order,
		);
	}

	/**
	 * The SQL condition of a view (no table alias needed: the feeds table's columns).
	 *
	 * @since 0.2.0
	 */
	private static function view_sql( string $view ): string {
		switch ( $view ) {
			case 'active':
				return "f.status = 'active'";
			case 'failing':
				return "f.status = 'active' AND f.failed_runs > 0";
			case 'paused':
				return "f.status = 'paused'";
		}
		return '1 = 1';
	}

	/**
	 * Load the page of feeds with their item counts (three queries).
	 *
	 * @since 0.1.0
	 */
	public function prepare_items() {
		global $wpdb;
		$args   = self::query_args();
		$feeds  = Schema\feeds_table();
		$items  = Schema\items_table();
		$where  = self::view_sql( $args['view'] );
		$search = '';
		if ( '' !== $args['search'] ) {
			$like   = '%' . $wpdb->esc_like( $args['search'] ) . '%';
			$search = $wpdb->prepare( ' AND (f.title LIKE %s OR f.url LIKE %s)', $like, $like );
		}
		$order = '' === $args['orderby'] ? 'f.id DESC' : self::SORTS[ $args['orderby'] ] . ' ' . $args['order'] . ', f.id DESC';
		$page  = $this->get_pagenum();
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours; conditions are ours or prepared; the order comes from SORTS.
		$total = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$feeds} f WHERE {$where}{$search}" );
		$rows  = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT f.*, (SELECT COUNT(*) FROM {$items} i WHERE i.feed_id = f.id AND i.state = 'posted') AS posts_made FROM {$feeds} f WHERE {$where}{$search} ORDER BY {$order} LIMIT %d OFFSET %d",
				self::PER_PAGE,
				( $page - 1 ) * self::PER_PAGE
			),
			ARRAY_A
		);
		$this->shared_titles = array_fill_keys( $wpdb->get_col( "SELECT title FROM {$feeds} WHERE title <> '' GROUP BY title HAVING COUNT(*) > 1" ), true );
		// phpcs:enable
		$this->items  = array_map( array( Feed::class, 'from_row' ), $rows ?: array() );
		$ids          = array_map( static fn( Feed $feed ) => $feed->id, $this->items );
		$this->counts = self::item_counts( $ids );
		$this->costs  = Costs\by_feed( $ids );
		$this->_column_headers = array( $this->get_columns(), array(), $this->get_sortable_columns(), 'feed' );
		$this->set_pagination_args(
			array(
				'total_items' => $total,
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/**
	 * Posted, held (waiting for review) and failed items of these feeds.
	 *
	 * @since 0.2.0
	 *
	 * @param int[] $feed_ids Feed IDs.
	 * @return array<int, array{posted: int, held: int, failed: int}>
	 */
	public static function item_counts( array $feed_ids ): array {
		global $wpdb;
		$counts = array_fill_keys(
			$feed_ids,
			array(
				'posted' => 0,
				'held'   => 0,
				'failed' => 0,
			)
		);
		if ( ! $feed_ids ) {
			return $counts;
		}
		$items = Schema\items_table();
		$in    = implode( ',', array_map( 'intval', $feed_ids ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours and core's; the IDs are integers.
		$rows = $wpdb->get_results( "SELECT i.feed_id, i.state, p.post_status, COUNT(*) AS items FROM {$items} i LEFT JOIN {$wpdb->posts} p ON p.ID = i.post_id WHERE i.feed_id IN ({$in}) AND i.state IN ('posted', 'held', 'failed') GROUP BY i.feed_id, i.state, p.post_status", ARRAY_A );
		foreach ( $rows ?: array() as $row ) {
			$kind = 'posted' === $row['state'] && 'pending' === $row['post_status'] ? 'held' : $row['state'];
			$counts[ (int) $row['feed_id'] ][ $kind ] += (int) $row['items'];
		}
		return $counts;
	}

	/**
	 * The views (All, Active, Failing, Paused) with their counts.
	 *
	 * @since 0.2.0
	 *
	 * @return array<string, string>
	 */
	protected function get_views() {
		global $wpdb;
		$feeds   = Schema\feeds_table();
		$current = self::query_args()['view'];
		$labels  = array(
			''        => __( 'All', 'automationtools-ai' ),
			'active'  => __( 'Active', 'automationtools-ai' ),
			'failing' => __( 'Failing', 'automationtools-ai' ),
			'paused'  => __( 'Paused', 'automationtools-ai' ),
		);
		$views   = array();
		foreach ( $labels as $view => $label ) {
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name and condition are ours.
			$count          = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$feeds} f WHERE " . self::view_sql( $view ) );
			$views[ '' === $view ? 'all' : $view ] = sprintf(
				'<a href="%1$s"%2$s>%3$s <span class="count">(%4$s)</span></a>',
				esc_url( Feeds_Page\url( '' === $view ? array() : array( 'status' => $view ) ) ),
				$current === $view ? ' class="current" aria-current="page"' : '',
				esc_html( $label ),
				esc_html( number_format_i18n( $count ) )
			);
		}
		return $views;
	}

	/**
	 * Shown when there are no feeds.
	 *
	 * @since 0.1.0
	 */
	public function no_items() {
		if ( '' !== self::query_args()['search'] || '' !== self::query_args()['view'] ) {
			esc_html_e( 'No feed matches.', 'automationtools-ai' );
			return;
		}
		esc_html_e( 'No feeds yet. Add one and its first posts arrive within minutes.', 'automationtools-ai' );
	}

	/**
	 * The row's check box, labelled with the feed's name.
	 *
	 * @since 0.2.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_cb( $feed ) {
		return sprintf(
			'<label class="screen-reader-text" for="atai-feed-%1$d">%2$s</label><input type="checkbox" name="feed[]" id="atai-feed-%1$d" value="%1$d" />',
			(int) $feed->id,
			/* translators: %s: the feed's name. */
			esc_html( sprintf( __( 'Select %s', 'automationtools-ai' ), $this->name( $feed ) ) )
		);
	}

	/**
	 * The feed's name; with its host when another feed has the same title.
	 *
	 * @since 0.2.0
	 */
	private function name( Feed $feed ): string {
		if ( '' === $feed->title ) {
			return __( '(title after the first run)', 'automationtools-ai' );
		}
		/* translators: 1: the feed's title, 2: its host, such as "example.org". */
		return isset( $this->shared_titles[ $feed->title ] ) ? sprintf( __( '%1$s (%2$s)', 'automationtools-ai' ), $feed->title, Post_Source\host( $feed->url ) ) : $feed->title;
	}

	/**
	 * Title and URL, with the row actions.
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_feed( $feed ): string {
		$edit  = Feeds_Page\url(
			array(
				'action' => 'edit',
				'feed'   => $feed->id,
			)
		);
		$html  = '<strong><a class="row-title" href="' . esc_url( $edit ) . '">' . esc_html( $this->name( $feed ) ) . '</a></strong>';
		$html .= '<br /><span class="atai-url">' . esc_html( $feed->url ) . '</span>';

		$actions = array(
			'edit'   => '<a href="' . esc_url( $edit ) . '">' . esc_html__( 'Edit', 'automationtools-ai' ) . '</a>',
			'run'    => '<a href="' . esc_url( Feeds_Page\action_url( Feeds_Page\RUN_ACTION, $feed->id ) ) . '">' . esc_html__( 'Run now', 'automationtools-ai' ) . '</a>',
			'toggle' => '<a href="' . esc_url( Feeds_Page\action_url( Feeds_Page\TOGGLE_ACTION, $feed->id ) ) . '">' . ( 'active' === $feed->status ? esc_html__( 'Pause', 'automationtools-ai' ) : esc_html__( 'Resume', 'automationtools-ai' ) ) . '</a>',
			'delete' => sprintf(
				'<a class="atai-delete" href="%1$s" data-confirm="%2$s">%3$s</a>',
				esc_url( Feeds_Page\action_url( Feeds_Page\DELETE_ACTION, $feed->id ) ),
				esc_attr__( 'Delete this feed? The posts it made stay.', 'automationtools-ai' ),
				esc_html__( 'Delete', 'automationtools-ai' )
			),
		);
		return $html . $this->row_actions( $actions );
	}

	/**
	 * The site the feed comes from.
	 *
	 * @since 0.2.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_source( $feed ): string {
		return esc_html( Post_Source\host( $feed->url ) );
	}

	/**
	 * The state in words: Active, Paused, Failing (since when, why, next try) or Gone.
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_status( $feed ): string {
		return Feed_Health_View\status_cell( $feed );
	}

	/**
	 * When it last ran and how that went.
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_last_run( $feed ): string {
		if ( null === $feed->last_run_at ) {
			return esc_html__( 'Never', 'automationtools-ai' );
		}
		$when   = self::relative( $feed->last_run_at );
		$result = 'failed' === $feed->last_status ? __( 'failed', 'automationtools-ai' ) : __( 'done', 'automationtools-ai' );
		/* translators: 1: relative time such as "5 mins ago", 2: "done" or "failed". */
		return esc_html( sprintf( __( '%1$s (%2$s)', 'automationtools-ai' ), $when, $result ) );
	}

	/**
	 * When it runs next (or that it is running).
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_next_run( $feed ): string {
		if ( null !== $feed->run_id ) {
			return esc_html__( 'Running now', 'automationtools-ai' );
		}
		if ( 'paused' === $feed->status ) {
			return esc_html__( 'Paused', 'automationtools-ai' );
		}
		if ( null === $feed->next_run_at || Clock\timestamp( $feed->next_run_at ) <= time() ) {
			return esc_html__( 'Due now', 'automationtools-ai' );
		}
		return esc_html( self::relative( $feed->next_run_at ) );
	}

	/**
	 * Posts made, from the ledger (held drafts included: they are posts waiting for a person).
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_posts_made( $feed ): string {
		$counts = $this->counts[ $feed->id ] ?? array(
			'posted' => 0,
			'held'   => 0,
		);
		return esc_html( number_format_i18n( $counts['posted'] + $counts['held'] ) );
	}

	/**
	 * Drafts held for review, a link to them.
	 *
	 * @since 0.2.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_held( $feed ): string {
		$held = $this->counts[ $feed->id ]['held'] ?? 0;
		if ( 0 === $held ) {
			return '0';
		}
		$url = add_query_arg(
			array(
				'post_status'          => 'pending',
				Post_Source\FILTER_ARG => $feed->id,
			),
			admin_url( 'edit.php' )
		);
		return '<a href="' . esc_url( $url ) . '">' . esc_html( number_format_i18n( $held ) ) . '</a>';
	}

	/**
	 * Items that failed, a link to them in Activity.
	 *
	 * @since 0.2.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_failed( $feed ): string {
		$failed = $this->counts[ $feed->id ]['failed'] ?? 0;
		if ( 0 === $failed ) {
			return '0';
		}
		$url = add_query_arg(
			array(
				'page'    => Activity_Page\SLUG,
				'feed'    => $feed->id,
				'outcome' => 'failed',
			),
			admin_url( 'admin.php' )
		);
		return '<a href="' . esc_url( $url ) . '">' . esc_html( number_format_i18n( $failed ) ) . '</a>';
	}

	/**
	 * What the feed's AI calls cost this month and in all.
	 *
	 * @since 0.2.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_ai_cost( $feed ): string {
		$cost = $this->costs[ $feed->id ] ?? null;
		if ( ! $cost || ! $cost['items'] ) {
			return '—';
		}
		/* translators: 1: this month's cost, 2: all-time cost. */
		return esc_html( sprintf( __( '%1$s this month, %2$s in all', 'automationtools-ai' ), Costs\dollars( $cost['month'] ), Costs\dollars( $cost['total'] ) ) );
	}

	/**
	 * The last error in words, in red.
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_last_error( $feed ): string {
		return '' === $feed->last_error ? '—' : '<span class="atai-error">' . esc_html( $feed->last_error ) . '</span>';
	}

	/**
	 * "5 mins ago" or "in 5 mins" for a UTC DATETIME.
	 *
	 * @since 0.1.0
	 */
	private static function relative( string $datetime ): string {
		$timestamp = Clock\timestamp( $datetime );
		$diff      = human_time_diff( $timestamp, time() );
		return $timestamp <= time()
			/* translators: %s: time span such as "5 mins". */
			? sprintf( __( '%s ago', 'automationtools-ai' ), $diff )
			/* translators: %s: time span such as "5 mins". */
			: sprintf( __( 'in %s', 'automationtools-ai' ), $diff );
	}
}
