<?php
/**
 * The Activity list (WP_List_Table): every item of every feed, newest first, with its outcome and reason in
 * words, filtered by feed, outcome and date.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin;

use ATAI\Admin\Feeds_Page;
use ATAI\Admin\Post_Source;
use ATAI\Clock;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Schema;

/**
 * Reads the ledger with its posts (one query a page, one count).
 *
 * @since 0.2.0
 */
class Activity_List_Table extends \WP_List_Table {

	const PER_PAGE = 50;

	/** Outcomes the filter offers: what the site owner asks ("held"), not how the ledger stores it. */
	const OUTCOMES = array( 'posted', 'held', 'skipped', 'failed', 'queued' );

	/**
	 * Feed names by ID, for the rows and the filter.
	 *
	 * @var array<int, string>
	 */
	private array $feed_names = array();

	/**
	 * Set up the table.
	 *
	 * @since 0.2.0
	 */
	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'item',
				'plural'   => 'items',
				'ajax'     => false,
			)
		);
	}

	/**
	 * Columns.
	 *
	 * @since 0.2.0
	 *
	 * @return array<string, string>
	 */
	public function get_columns() {
		return array(
			'when'    => __( 'When', 'automationtools-ai' ),
			'feed'    => __( 'Feed', 'automationtools-ai' ),
			'item'    => __( 'Item', 'automationtools-ai' ),
			'outcome' => __( 'Outcome', 'automationtools-ai' ),
			'details' => __( 'What happened', 'automationtools-ai' ),
		);
	}

	/**
	 * The filters of this request, cleaned: feed ID, outcome, from and to dates (Y-m-d).
	 *
	 * @since 0.2.0
	 *
	 * @return array{feed: int, outcome: string, from: string, to: string}
	 */
	public static function filters(): array {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- filters change nothing.
		$date    = static function ( string $name ): string {
			$value = isset( $_GET[ $name ] ) ? sanitize_text_field( wp_unslash( $_GET[ $name ] ) ) : '';
			return 1 === preg_match( '/^\d{4}-\d{2}-\d{2}$/', $value ) ? $value : '';
		};
		$outcome = isset( $_GET['outcome'] ) ? sanitize_key( wp_unslash( $_GET['outcome'] ) ) : '';
		$filters = array(
			'feed'    => isset( $_GET['feed'] ) ? absint( $_GET['feed'] ) : 0,
			'outcome' => in_array( $outcome, self::OUTCOMES, true ) ? $outcome : '',
			'from'    => $date( 'from' ),
			'to'      => $date( 'to' ),
		);
		// phpcs:enable
		return $filters;
	}

	/**
	 * The WHERE clause of the filters (prepared).
	 *
	 * @since 0.2.0
	 *
	 * @param array{feed: int, outcome: string, from: string, to: string} $filters Filters.
	 */
	private static function where( array $filters ): string {
		global $wpdb;
		$where = array( '1 = 1' );
		if ( $filters['feed'] > 0 ) {
			$where[] = $wpdb->prepare( 'i.feed_id = %d', $filters['feed'] );
		}
		switch ( $filters['outcome'] ) {
			case 'posted':
				$where[] = "i.state = 'posted' AND (p.post_status IS NULL OR p.post_status <> 'pending')";
				break;
			case 'held':
				$where[] = "(i.state = 'held' OR (i.state = 'posted' AND p.post_status = 'pending'))";
				break;
			case 'queued':
				$where[] = "i.state IN ('queued', 'importing')";
				break;
			case 'skipped':
				$where[] = "i.state IN ('skipped', 'discarded')";
				break;
			case 'failed':
				$where[] = "i.state = 'failed'";
				break;
		}
		if ( '' !== $filters['from'] ) {
			$where[] = $wpdb->prepare( 'i.updated_at >= %s', $filters['from'] . ' 00:00:00' );
		}
		if ( '' !== $filters['to'] ) {
			$where[] = $wpdb->prepare( 'i.updated_at <= %s', $filters['to'] . ' 23:59:59' );
		}
		return implode( ' AND ', $where );
	}

	/**
	 * Load the page of items.
	 *
	 * @since 0.2.0
	 */
	public function prepare_items() {
		global $wpdb;
		$items = Schema\items_table();
		$where = self::where( self::filters() );
		$page  = $this->get_pagenum();
		// phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names are ours and core's; the WHERE clause is prepared above.
		$total = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$items} i LEFT JOIN {$wpdb->posts} p ON p.ID = i.post_id WHERE {$where}" );
		$rows  = $wpdb->get_results(
			$wpdb->prepare( "SELECT i.*, p.post_status FROM {$items} i LEFT JOIN {$wpdb->posts} p ON p.ID = i.post_id WHERE {$where} ORDER BY i.updated_at DESC, i.id DESC LIMIT %d OFFSET %d", self::PER_PAGE, ( $page - 1 ) * self::PER_PAGE ),
			ARRAY_A
		);
		// phpcs:enable
		$this->items = array_map(
			static fn( array $row ) => Ledger\from_row( $row ) + array( 'post_status' => $row['post_status'] ),
			$rows ?: array()
		);
		$this->feed_names = self::feed_names();
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'item' );
		$this->set_pagination_args(
			array(
				'total_items' => $total,
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/**
	 * Shown when nothing matches.
	 *
	 * @since 0.2.0
	 */
	public function no_items() {
		esc_html_e( 'Nothing happened that matches these filters.', 'automationtools-ai' );
	}

	/**
	 * The filters, above the table.
	 *
	 * @since 0.2.0
	 *
	 * @param string $which top or bottom.
	 */
	protected function extra_tablenav( $which ) {
		if ( 'top' !== $which ) {
			return;
		}
		$outcomes = array(
			''        => __( 'Every outcome', 'automationtools-ai' ),
			'posted'  => __( 'Posted', 'automationtools-ai' ),
			'held'    => __( 'Waiting for review', 'automationtools-ai' ),
			'skipped' => __( 'Skipped', 'automationtools-ai' ),
			'failed'  => __( 'Failed', 'automationtools-ai' ),
			'queued'  => __( 'Waiting', 'automationtools-ai' ),
		);
		self::filters_form( $this->feed_names, $outcomes );
	}

	/**
	 * Every feed's name by ID, as the rows and the filter show them.
	 *
	 * @since 0.3.0
	 *
	 * @return array<int, string>
	 */
	public static function feed_names(): array {
		$names = array();
		foreach ( Feeds\all() as $feed ) {
			$names[ $feed->id ] = Post_Source\feed_name( $feed );
		}
		return $names;
	}

	/**
	 * The filters' fields and button (the items' and the runs' views share them).
	 *
	 * @since 0.3.0
	 *
	 * @param array<int, string>    $feed_names Feed names by ID.
	 * @param array<string, string> $outcomes   The outcomes offered, by value.
	 */
	public static function filters_form( array $feed_names, array $outcomes ): void {
		$filters = self::filters();
		echo '<div class="alignleft actions atai-activity-filters">';
		echo '<label for="atai-activity-feed">' . esc_html__( 'Feed', 'automationtools-ai' ) . '</label> <select name="feed" id="atai-activity-feed"><option value="0">' . esc_html__( 'All feeds', 'automationtools-ai' ) . '</option>';
		foreach ( $feed_names as $id => $name ) {
			echo '<option value="' . esc_attr( (string) $id ) . '"' . selected( $filters['feed'], $id, false ) . '>' . esc_html( $name ) . '</option>';
		}
		echo '</select> <label for="atai-activity-outcome">' . esc_html__( 'Outcome', 'automationtools-ai' ) . '</label> <select name="outcome" id="atai-activity-outcome">';
		foreach ( $outcomes as $value => $label ) {
			echo '<option value="' . esc_attr( $value ) . '"' . selected( $filters['outcome'], $value, false ) . '>' . esc_html( $label ) . '</option>';
		}
		echo '</select> <label for="atai-activity-from">' . esc_html__( 'From', 'automationtools-ai' ) . '</label> <input type="date" name="from" id="atai-activity-from" value="' . esc_attr( $filters['from'] ) . '" />';
		echo ' <label for="atai-activity-to">' . esc_html__( 'To', 'automationtools-ai' ) . '</label> <input type="date" name="to" id="atai-activity-to" value="' . esc_attr( $filters['to'] ) . '" /> ';
		submit_button( __( 'Filter', 'automationtools-ai' ), '', 'filter_action', false, array( 'id' => 'atai-activity-submit' ) );
		echo '</div>';
	}

	/**
	 * When the item last changed, in words, with the date and time in the site's time zone.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_when( $item ): string {
		$timestamp = Clock\timestamp( $item['updated_at'] );
		return sprintf(
			'<time datetime="%1$s">%2$s</time>',
			esc_attr( (string) Clock\rfc3339( $item['updated_at'] ) ),
			esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $timestamp ) )
		);
	}

	/**
	 * The feed, a link to its screen.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_feed( $item ): string {
		if ( ! isset( $this->feed_names[ $item['feed_id'] ] ) ) {
			return esc_html__( 'A deleted feed', 'automationtools-ai' );
		}
		return sprintf(
			'<a href="%1$s">%2$s</a>',
			esc_url(
				Feeds_Page\url(
					array(
						'action' => 'edit',
						'feed'   => $item['feed_id'],
					)
				)
			),
			esc_html( $this->feed_names[ $item['feed_id'] ] )
		);
	}

	/**
	 * The item's title, a link to the original.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_item( $item ): string {
		$title = '' !== $item['title'] ? $item['title'] : ( '' !== $item['link'] ? $item['link'] : __( '(no title)', 'automationtools-ai' ) );
		return '' !== $item['link'] && wp_http_validate_url( $item['link'] )
			? '<a href="' . esc_url( $item['link'] ) . '" rel="noopener noreferrer">' . esc_html( $title ) . '</a>'
			: esc_html( $title );
	}

	/**
	 * The outcome in words.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row with post_status.
	 */
	public function column_outcome( $item ): string {
		switch ( $item['state'] ) {
			case 'posted':
				if ( null === $item['post_status'] ) {
					return esc_html__( 'Posted, since deleted', 'automationtools-ai' );
				}
				return 'pending' === $item['post_status'] ? esc_html__( 'Waiting for review', 'automationtools-ai' ) : esc_html__( 'Posted', 'automationtools-ai' );
			case 'held':
				return esc_html__( 'Waiting for review', 'automationtools-ai' );
			case 'discarded':
				return esc_html__( 'Discarded in review', 'automationtools-ai' );
			case 'skipped':
				return esc_html__( 'Skipped', 'automationtools-ai' );
			case 'failed':
				return $item['failed_for_good'] ? esc_html__( 'Failed, given up', 'automationtools-ai' ) : esc_html__( 'Failed, will be tried again', 'automationtools-ai' );
		}
		return esc_html__( 'Waiting for the worker', 'automationtools-ai' );
	}

	/**
	 * What happened, for a site owner: the post and its status, or the reason.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row with post_status.
	 */
	public function column_details( $item ): string {
		if ( 'posted' === $item['state'] || 'held' === $item['state'] ) {
			$edit = null === $item['post_status'] ? null : get_edit_post_link( $item['post_id'] );
			if ( ! $edit ) {
				return esc_html__( 'The post was deleted.', 'automationtools-ai' );
			}
			$status = get_post_status_object( (string) $item['post_status'] );
			return sprintf(
				/* translators: 1: link to the post, 2: the post's status, such as "Draft". */
				esc_html__( 'Became %1$s (%2$s).', 'automationtools-ai' ),
				'<a href="' . esc_url( $edit ) . '">' . esc_html( get_the_title( $item['post_id'] ) ) . '</a>',
				esc_html( $status ? $status->label : (string) $item['post_status'] )
			);
		}
		if ( 'failed' === $item['state'] ) {
			$tries = $item['failed_for_good']
				/* translators: %d: number of attempts. */
				? sprintf( _n( 'Given up after %d attempt.', 'Given up after %d attempts.', $item['attempts'], 'automationtools-ai' ), $item['attempts'] )
				/* translators: %d: number of attempts. */
				: sprintf( _n( '%d attempt so far; the next run tries again.', '%d attempts so far; the next run tries again.', $item['attempts'], 'automationtools-ai' ), $item['attempts'] );
			return '<span class="atai-error">' . esc_html( $item['error_message'] ) . '</span> ' . esc_html( $tries );
		}
		if ( 'skipped' === $item['state'] ) {
			return esc_html( $item['error_message'] );
		}
		return esc_html__( 'The worker is making its draft.', 'automationtools-ai' );
	}
}
