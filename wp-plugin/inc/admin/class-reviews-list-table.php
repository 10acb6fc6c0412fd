<?php
/**
 * The drafts waiting for review (WP_List_Table): draft, feed, why it waits, since when, cost; approve or
 * discard one by one (row actions) or several at once (bulk actions).
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin;

use ATAI\Admin\Reviews_Page;
use ATAI\Clock;
use ATAI\Costs;
use ATAI\Feeds;
use ATAI\Provenance;
use ATAI\Reviews;

/**
 * Lists the held drafts.
 *
 * @since 0.2.0
 */
class Reviews_List_Table extends \WP_List_Table {

	const PER_PAGE = 20;

	/**
	 * Set up the table.
	 *
	 * @since 0.2.0
	 */
	public function __construct() {
		parent::__construct(
			array(
				'singular' => 'review',
				'plural'   => 'reviews',
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
			'cb'       => '<input type="checkbox" />',
			'draft'    => __( 'Draft', 'automationtools-ai' ),
			'feed'     => __( 'Feed', 'automationtools-ai' ),
			'findings' => __( 'Why it waits', 'automationtools-ai' ),
			'since'    => __( 'Waiting since', 'automationtools-ai' ),
			'cost'     => __( 'AI cost', 'automationtools-ai' ),
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
			'approve' => __( 'Approve', 'automationtools-ai' ),
			'discard' => __( 'Discard', 'automationtools-ai' ),
		);
	}

	/**
	 * Load the page of held drafts.
	 *
	 * @since 0.2.0
	 */
	public function prepare_items() {
		$page                  = $this->get_pagenum();
		$this->items           = Reviews\waiting( self::PER_PAGE, ( $page - 1 ) * self::PER_PAGE );
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'draft' );
		$this->set_pagination_args(
			array(
				'total_items' => Reviews\waiting_count(),
				'per_page'    => self::PER_PAGE,
			)
		);
	}

	/**
	 * Shown when nothing waits.
	 *
	 * @since 0.2.0
	 */
	public function no_items() {
		esc_html_e( 'No drafts wait for review.', 'automationtools-ai' );
	}

	/**
	 * The row's check box.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_cb( $item ): string {
		/* translators: %s: draft title. */
		$label = sprintf( __( 'Select %s', 'automationtools-ai' ), $item['title'] );
		return '<label class="screen-reader-text" for="atai-review-' . esc_attr( $item['key'] ) . '">' . esc_html( $label ) . '</label><input type="checkbox" name="items[]" id="atai-review-' . esc_attr( $item['key'] ) . '" value="' . esc_attr( $item['key'] ) . '" />';
	}

	/**
	 * The draft's title, linked to the review screen, with its row actions.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_draft( $item ): string {
		$post   = $item['post_id'] ? get_post( $item['post_id'] ) : null;
		$review = Reviews_Page\url( array( 'item' => $item['key'] ) );
		$title  = $post ? $post->post_title : $item['title'];
		$html   = '<strong><a class="row-title" href="' . esc_url( $review ) . '">' . esc_html( $title ) . '</a></strong>';
		if ( $post && $post->post_title !== $item['title'] && '' !== $item['title'] ) {
			/* translators: %s: the source's title. */
			$html .= '<br /><span class="atai-url">' . esc_html( sprintf( __( 'Source: %s', 'automationtools-ai' ), $item['title'] ) ) . '</span>';
		}
		$actions = array(
			'review'  => '<a href="' . esc_url( $review ) . '">' . esc_html__( 'Compare with the source', 'automationtools-ai' ) . '</a>',
			'approve' => '<a href="' . esc_url( Reviews_Page\action_url( 'approve', $item['key'] ) ) . '">' . esc_html__( 'Approve', 'automationtools-ai' ) . '</a>',
			'discard' => '<a class="atai-discard" href="' . esc_url( Reviews_Page\action_url( 'discard', $item['key'] ) ) . '">' . esc_html__( 'Discard', 'automationtools-ai' ) . '</a>',
		);
		if ( $post && current_user_can( 'edit_post', $post->ID ) ) {
			$actions = array_slice( $actions, 0, 1 ) + array( 'edit' => '<a href="' . esc_url( (string) get_edit_post_link( $post->ID ) ) . '">' . esc_html__( 'Edit', 'automationtools-ai' ) . '</a>' ) + $actions;
		}
		return $html . $this->row_actions( $actions );
	}

	/**
	 * The feed.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_feed( $item ): string {
		$feed = Feeds\get( $item['feed_id'] );
		return $feed ? esc_html( '' !== $feed->title ? $feed->title : $feed->url ) : '—';
	}

	/**
	 * The findings that hold it (the first two), or why else it waits.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_findings( $item ): string {
		$holds = array_values( array_filter( $item['post_id'] ? Provenance\findings( $item['post_id'] ) : array(), static fn( $f ) => ! empty( $f['hold'] ) ) );
		if ( ! $holds ) {
			return esc_html__( 'Its feed reviews every draft.', 'automationtools-ai' );
		}
		$html = '';
		foreach ( array_slice( $holds, 0, 2 ) as $finding ) {
			$html .= '<span class="atai-error">' . esc_html( $finding['message'] ) . '</span><br />';
		}
		if ( count( $holds ) > 2 ) {
			/* translators: %d: number of further findings. */
			$html .= esc_html( sprintf( _n( 'and %d more', 'and %d more', count( $holds ) - 2, 'automationtools-ai' ), count( $holds ) - 2 ) );
		}
		return $html;
	}

	/**
	 * Since when it waits.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_since( $item ): string {
		/* translators: %s: time span such as "5 mins". */
		return esc_html( sprintf( __( '%s ago', 'automationtools-ai' ), human_time_diff( Clock\timestamp( $item['updated_at'] ), time() ) ) );
	}

	/**
	 * What its model calls cost.
	 *
	 * @since 0.2.0
	 *
	 * @param array<string, mixed> $item Ledger row.
	 */
	public function column_cost( $item ): string {
		$micros = $item['post_id'] ? get_post_meta( $item['post_id'], Provenance\META_COST_MICROS, true ) : '';
		return '' === $micros ? '—' : esc_html( Costs\dollars( (int) $micros ) );
	}
}
