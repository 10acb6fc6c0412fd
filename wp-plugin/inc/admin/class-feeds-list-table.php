<?php
/**
 * The feeds list (WP_List_Table): feed, status, last run, next run, posts made, last error.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin;

use ATAI\Admin\Feed_Health_View;
use ATAI\Admin\Feeds_Page;
use ATAI\Clock;
use ATAI\Costs;
use ATAI\Feed;
use ATAI\Feeds;
use ATAI\Ledger;

/**
 * Lists the feeds with their row actions (Edit, Run now, Pause/Resume, Delete).
 *
 * @since 0.1.0
 */
class Feeds_List_Table extends \WP_List_Table {

	const PER_PAGE = 20;

	/**
	 * Posts made by feed ID, for the rows on this page.
	 *
	 * @var array<int, int>
	 */
	private array $posts_made = array();

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
			'feed'       => __( 'Feed', 'automationtools-ai' ),
			'status'     => __( 'Status', 'automationtools-ai' ),
			'last_run'   => __( 'Last run', 'automationtools-ai' ),
			'next_run'   => __( 'Next run', 'automationtools-ai' ),
			'posts_made' => __( 'Posts made', 'automationtools-ai' ),
			'ai_cost'    => __( 'AI cost', 'automationtools-ai' ),
			'last_error' => __( 'Last error', 'automationtools-ai' ),
		);
	}

	/**
	 * Load the page of feeds and their post counts (two queries).
	 *
	 * @since 0.1.0
	 */
	public function prepare_items() {
		$page                  = $this->get_pagenum();
		$this->items           = Feeds\all( self::PER_PAGE, ( $page - 1 ) * self::PER_PAGE );
		$this->posts_made      = Ledger\count_posted( array_column( $this->items, 'id' ) );
		$this->costs           = Costs\by_feed( array_column( $this->items, 'id' ) );
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'feed' );
		$this->set_pagination_args(
			array(
				'total_items' => Feeds\count_all(),
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/**
	 * Shown when there are no feeds.
	 *
	 * @since 0.1.0
	 */
	public function no_items() {
		esc_html_e( 'No feeds yet. Add one and its first posts arrive within minutes.', 'automationtools-ai' );
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
		$title = '' !== $feed->title ? $feed->title : __( '(title after the first run)', 'automationtools-ai' );
		$html  = '<strong><a class="row-title" href="' . esc_url( $edit ) . '">' . esc_html( $title ) . '</a></strong>';
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
	 * Posts made, from the ledger.
	 *
	 * @since 0.1.0
	 *
	 * @param Feed $feed The feed.
	 */
	public function column_posts_made( $feed ): string {
		return esc_html( number_format_i18n( $this->posts_made[ $feed->id ] ?? 0 ) );
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
