<?php
/**
 * The Feeds screens: the list, the add and edit forms, and the admin-post handlers behind them.
 *
 * Forms post to admin-post.php with a nonce; on a validation error the typed values and each
 * field's message come back with the form, so nothing typed is lost.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Feeds_Page;

use ATAI\Admin\Add_Feed_View;
use ATAI\Admin\Feed_Health_View;
use ATAI\Admin\Feeds_List_Table;
use ATAI\Admin\Items_List;
use ATAI\Admin\Notices;
use ATAI\Admin\OPML_Page;
use ATAI\Admin\Run_Panel;
use ATAI\Feed;
use ATAI\Feed_Options;
use ATAI\Feeds;
use ATAI\Ledger;
use ATAI\Runs;

const SLUG          = 'atai-feeds';
const SAVE_ACTION   = 'atai_save_feed';
const RUN_ACTION    = 'atai_run_feed';
const TOGGLE_ACTION = 'atai_toggle_feed';
const DELETE_ACTION = 'atai_delete_feed';

/** What a failed form post left for the form: typed values and messages by field. */
const FORM_TRANSIENT_PREFIX = 'atai_feed_form_';

/**
 * Add the top-level menu and its Feeds page.
 *
 * @since 0.1.0
 */
function add_menu(): void {
	add_menu_page(
		__( 'AutomationTools.AI', 'automationtools-ai' ),
		__( 'AutomationTools.AI', 'automationtools-ai' ),
		'manage_options',
		SLUG,
		__NAMESPACE__ . '\\render',
		'dashicons-rss'
	);
	add_submenu_page( SLUG, __( 'Feeds', 'automationtools-ai' ), __( 'Feeds', 'automationtools-ai' ), 'manage_options', SLUG, __NAMESPACE__ . '\\render' );
}

/**
 * Styles and the small script of the plugin's screens.
 *
 * @since 0.1.0
 *
 * @param string $hook_suffix Current admin page.
 */
function enqueue_assets( $hook_suffix ): void {
	if ( ! is_string( $hook_suffix ) || ! str_contains( $hook_suffix, 'atai-' ) ) {
		return;
	}
	wp_enqueue_style( 'atai-admin', plugins_url( 'assets/admin.css', \ATAI\PLUGIN_FILE ), array(), \ATAI\VERSION );
	wp_enqueue_script( 'atai-admin', plugins_url( 'assets/admin.js', \ATAI\PLUGIN_FILE ), array( 'wp-api-fetch', 'wp-i18n' ), \ATAI\VERSION, true );
	wp_set_script_translations( 'atai-admin', 'automationtools-ai', \ATAI\PLUGIN_DIR . '/languages' );
}

/**
 * A URL of the Feeds screen.
 *
 * @since 0.1.0
 *
 * @param array<string, string|int> $args Query arguments (action, feed).
 */
function url( array $args = array() ): string {
	return add_query_arg( array( 'page' => SLUG ) + $args, admin_url( 'admin.php' ) );
}

/**
 * A nonce-protected admin-post.php URL acting on one feed.
 *
 * @since 0.1.0
 */
function action_url( string $action, int $feed_id ): string {
	return wp_nonce_url(
		add_query_arg(
			array(
				'action' => $action,
				'feed'   => $feed_id,
			),
			admin_url( 'admin-post.php' )
		),
		$action . '_' . $feed_id
	);
}

/**
 * The Feeds screen: list, add form or edit form.
 *
 * @since 0.1.0
 */
function render(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can manage feeds.', 'automationtools-ai' ), 403 );
	}
	// phpcs:disable WordPress.Security.NonceVerification.Recommended -- choosing a screen changes nothing.
	$action  = isset( $_GET['action'] ) ? sanitize_key( wp_unslash( $_GET['action'] ) ) : '';
	$feed_id = isset( $_GET['feed'] ) ? absint( $_GET['feed'] ) : 0;
	// phpcs:enable
	if ( 'add' === $action ) {
		render_form( null );
		return;
	}
	if ( 'import' === $action ) {
		OPML_Page\render();
		return;
	}
	if ( 'edit' === $action ) {
		$feed = Feeds\get( $feed_id );
		if ( null === $feed ) {
			echo '<div class="wrap"><div class="notice notice-error"><p>' . esc_html( Feeds\not_found( $feed_id )->get_error_message() ) . '</p></div></div>';
			return;
		}
		render_form( $feed );
		return;
	}
	render_list();
}

/**
 * The list of feeds.
 *
 * @since 0.1.0
 */
function render_list(): void {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
	require_once \ATAI\PLUGIN_DIR . '/inc/admin/class-feeds-list-table.php';
	$table = new Feeds_List_Table();
	$table->prepare_items();
	echo '<div class="wrap atai-wrap">';
	echo '<h1 class="wp-heading-inline">' . esc_html__( 'Feeds', 'automationtools-ai' ) . '</h1> ';
	echo '<a href="' . esc_url( url( array( 'action' => 'add' ) ) ) . '" class="page-title-action">' . esc_html__( 'Add feed', 'automationtools-ai' ) . '</a> ';
	echo OPML_Page\heading_links(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
	echo '<hr class="wp-header-end" />';
	$table->views();
	// A GET form, as core's lists: search, views and sorting stay in the address; bulk actions carry a nonce.
	echo '<form method="get" action="' . esc_url( admin_url( 'admin.php' ) ) . '">';
	echo '<input type="hidden" name="page" value="' . esc_attr( SLUG ) . '" />';
	$view = Feeds_List_Table::query_args()['view'];
	if ( '' !== $view ) {
		echo '<input type="hidden" name="status" value="' . esc_attr( $view ) . '" />';
	}
	$table->search_box( __( 'Search feeds', 'automationtools-ai' ), 'atai-feed-search' );
	$table->display();
	echo '</form></div>';
}

/**
 * Take what a failed post left for the form of this feed (null: a new feed), if anything.
 *
 * @since 0.1.0
 *
 * @return array{input: array<string, string>, errors: array<string, string>, offers?: array<string, mixed>}|null
 */
function take_form_state( int $feed_id ): ?array {
	$key   = FORM_TRANSIENT_PREFIX . get_current_user_id();
	$state = get_transient( $key );
	if ( ! is_array( $state ) || ( $state['feed_id'] ?? -1 ) !== $feed_id ) {
		return null;
	}
	delete_transient( $key );
	return $state;
}

/**
 * The add or edit form.
 *
 * @since 0.1.0
 *
 * @param Feed|null $feed The feed to edit, or null to add one.
 */
function render_form( ?Feed $feed ): void {
	$feed_id = $feed ? $feed->id : 0;
	$values  = $feed ? $feed->fields() : Feeds\defaults();
	$state   = take_form_state( $feed_id );
	$errors  = $state['errors'] ?? array();
	if ( $state ) {
		$values = array_merge( $values, $state['input'] );
	}

	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . ( $feed ? esc_html__( 'Edit feed', 'automationtools-ai' ) : esc_html__( 'Add feed', 'automationtools-ai' ) ) . '</h1>';
	echo '<p><a href="' . esc_url( url() ) . '">' . esc_html__( 'Back to all feeds', 'automationtools-ai' ) . '</a></p>';
	if ( $feed ) {
		Feed_Health_View\render_health( $feed );
		Run_Panel\render( $feed );
	}
	echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" class="atai-feed-form" novalidate>';
	echo '<input type="hidden" name="action" value="' . esc_attr( SAVE_ACTION ) . '" />';
	echo '<input type="hidden" name="feed_id" value="' . esc_attr( (string) $feed_id ) . '" />';
	wp_nonce_field( SAVE_ACTION );
	echo '<table class="form-table" role="presentation"><tbody>';

	form_row(
		'url',
		$errors,
		sprintf(
			'<input type="url" name="url" id="atai-url" class="large-text code" required value="%1$s" placeholder="https://example.org/feed" %2$s />',
			esc_attr( (string) $values['url'] ),
			isset( $errors['url'] ) ? 'aria-invalid="true" aria-describedby="atai-url-error"' : ''
		) . Add_Feed_View\url_tools( $state['offers'] ?? array() ),
		__( 'An RSS, Atom or JSON feed, or any page of the site: its feeds are found for you. A new address is checked when you save.', 'automationtools-ai' )
	);
	if ( $feed ) {
		form_row(
			'title',
			$errors,
			sprintf( '<input type="text" name="title" id="atai-title" class="regular-text" value="%s" />', esc_attr( (string) $values['title'] ) ),
			__( 'Filled from the feed after its first run when empty.', 'automationtools-ai' )
		);
		form_row( 'status', $errors, select( 'status', status_labels(), (string) $values['status'] ), '' );
	}
	form_row( 'post_status', $errors, select( 'post_status', Feeds\post_status_labels(), (string) $values['post_status'] ), __( 'Draft lets you review each post before it appears.', 'automationtools-ai' ) );
	form_row(
		'author',
		$errors,
		wp_dropdown_users(
			array(
				'name'       => 'author',
				'id'         => 'atai-author',
				'selected'   => (int) $values['author'],
				'capability' => array( 'edit_posts' ),
				'echo'       => false,
			)
		),
		''
	);
	form_row(
		'category',
		$errors,
		wp_dropdown_categories(
			array(
				'name'         => 'category',
				'id'           => 'atai-category',
				'selected'     => (int) $values['category'],
				'hide_empty'   => false,
				'hierarchical' => true,
				'echo'         => false,
			)
		),
		''
	);
	form_row(
		'max_posts',
		$errors,
		sprintf(
			'<input type="number" name="max_posts" id="atai-max_posts" class="small-text" min="%1$d" max="%2$d" value="%3$s" />',
			Feeds\MAX_POSTS_MIN,
			Feeds\MAX_POSTS_MAX,
			esc_attr( (string) $values['max_posts'] )
		),
		__( 'New items beyond this wait for the next run.', 'automationtools-ai' )
	);
	form_row( 'interval', $errors, select( 'interval', Feeds\interval_labels(), (string) $values['interval'] ), '' );
	echo '</tbody></table>';
	foreach ( Feed_Options\GROUPS as $group ) {
		render_option_group( $group, $values, $errors );
	}
	submit_button( $feed ? __( 'Save feed', 'automationtools-ai' ) : __( 'Add feed', 'automationtools-ai' ) );
	echo '</form>';

	if ( $feed ) {
		Feed_Health_View\render_run_history( $feed_id );
		render_items( $feed_id );
	}
	echo '</div>';
}

/**
 * The rows of one group of the feed's options, under its heading; nothing for a group without options.
 *
 * @since 0.2.0
 *
 * @param string                $group  One of Feed_Options\GROUPS.
 * @param array<string, mixed>  $values Values by field.
 * @param array<string, string> $errors Messages by field.
 */
function render_option_group( string $group, array $values, array $errors ): void {
	$options = Feed_Options\in_group( $group );
	if ( ! $options ) {
		return;
	}
	$headings = array(
		'source'   => __( 'Source', 'automationtools-ai' ),
		'filters'  => __( 'Filters', 'automationtools-ai' ),
		'post'     => __( 'Posts', 'automationtools-ai' ),
		'ai'       => __( 'AI', 'automationtools-ai' ),
		'schedule' => __( 'Schedule', 'automationtools-ai' ),
	);
	echo '<h2 class="title">' . esc_html( $headings[ $group ] ) . '</h2>';
	echo '<table class="form-table" role="presentation"><tbody>';
	foreach ( $options as $name => $definition ) {
		form_row( $name, $errors, option_control( $name, $definition, $values[ $name ] ?? $definition['default'], isset( $errors[ $name ] ) ), $definition['help'] );
	}
	echo '</tbody></table>';
}

/**
 * The form control of one option, by its type.
 *
 * @since 0.2.0
 *
 * @param string               $name       Option name.
 * @param array<string, mixed> $definition Its definition.
 * @param mixed                $value      Its value (clean, or as typed).
 * @param bool                 $invalid    Whether it has an error.
 */
function option_control( string $name, array $definition, $value, bool $invalid ): string {
	$id        = 'atai-' . $name;
	$described = $invalid ? sprintf( ' aria-invalid="true" aria-describedby="%s-error"', esc_attr( $id ) ) : '';
	if ( isset( $definition['render'] ) ) {
		return (string) call_user_func( $definition['render'], $name, $value, $described );
	}
	switch ( $definition['type'] ) {
		case 'boolean':
			return sprintf(
				// The hidden field posts "off" when the box is not ticked (a check box alone posts nothing).
				'<input type="hidden" name="%1$s" value="0" /><label><input type="checkbox" name="%1$s" id="%2$s" value="1"%3$s%4$s /> %5$s</label>',
				esc_attr( $name ),
				esc_attr( $id ),
				checked( rest_sanitize_boolean( $value ), true, false ),
				$described,
				esc_html( $definition['box'] ?? $definition['label'] )
			);
		case 'enum':
			return select( $name, $definition['choices'], (string) $value );
		case 'integer':
			return sprintf(
				'<input type="number" name="%1$s" id="%2$s" class="small-text"%3$s%4$s value="%5$s"%6$s />',
				esc_attr( $name ),
				esc_attr( $id ),
				isset( $definition['minimum'] ) ? ' min="' . esc_attr( (string) $definition['minimum'] ) . '"' : '',
				isset( $definition['maximum'] ) ? ' max="' . esc_attr( (string) $definition['maximum'] ) . '"' : '',
				esc_attr( is_scalar( $value ) ? (string) $value : '' ),
				$described
			);
		case 'text':
		case 'list':
			$text = is_array( $value ) ? implode( "\n", $value ) : ( is_scalar( $value ) ? (string) $value : '' );
			return sprintf(
				'<textarea name="%1$s" id="%2$s" class="large-text" rows="%3$d"%4$s%5$s>%6$s</textarea>',
				esc_attr( $name ),
				esc_attr( $id ),
				'list' === $definition['type'] ? 4 : 3,
				'list' === $definition['type'] ? ' data-list="1"' : '',
				$described,
				esc_textarea( $text )
			);
	}
	return sprintf(
		'<input type="text" name="%1$s" id="%2$s" class="regular-text" value="%3$s"%4$s />',
		esc_attr( $name ),
		esc_attr( $id ),
		esc_attr( is_scalar( $value ) ? (string) $value : '' ),
		$described
	);
}

/**
 * Status labels.
 *
 * @since 0.1.0
 *
 * @return array<string, string>
 */
function status_labels(): array {
	return array(
		'active' => __( 'Active', 'automationtools-ai' ),
		'paused' => __( 'Paused', 'automationtools-ai' ),
	);
}

/**
 * A select of labelled choices.
 *
 * @since 0.1.0
 *
 * @param string                $name     Field name.
 * @param array<string, string> $choices  Label by value.
 * @param string                $selected Selected value.
 */
function select( string $name, array $choices, string $selected ): string {
	$html = '<select name="' . esc_attr( $name ) . '" id="atai-' . esc_attr( $name ) . '">';
	foreach ( $choices as $value => $label ) {
		$html .= '<option value="' . esc_attr( (string) $value ) . '"' . selected( $selected, (string) $value, false ) . '>' . esc_html( $label ) . '</option>';
	}
	return $html . '</select>';
}

/**
 * One row of the form: label, control, the field's error (if any), help.
 *
 * @since 0.1.0
 *
 * @param string                $field   Field name.
 * @param array<string, string> $errors  Messages by field.
 * @param string                $control The control's HTML (escaped by its builder).
 * @param string                $help    Help text.
 */
function form_row( string $field, array $errors, string $control, string $help ): void {
	echo '<tr' . ( isset( $errors[ $field ] ) ? ' class="atai-has-error"' : '' ) . '>';
	echo '<th scope="row"><label for="atai-' . esc_attr( $field ) . '">' . esc_html( Feeds\field_label( $field ) ) . '</label></th><td>';
	echo $control; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts or by core's dropdown functions.
	if ( isset( $errors[ $field ] ) ) {
		echo '<p class="atai-field-error" id="atai-' . esc_attr( $field ) . '-error">' . esc_html( $errors[ $field ] ) . '</p>';
	}
	if ( '' !== $help ) {
		echo '<p class="description">' . esc_html( $help ) . '</p>';
	}
	echo '</td></tr>';
}

/**
 * The feed's recent items: state, post and error.
 *
 * @since 0.1.0
 */
function render_items( int $feed_id ): void {
	$items = Ledger\recent( $feed_id, 50 );
	echo '<h2>' . esc_html__( 'Recent items', 'automationtools-ai' ) . '</h2>';
	if ( ! $items ) {
		echo '<p>' . esc_html__( 'No items yet: they appear after the feed\'s first run.', 'automationtools-ai' ) . '</p>';
		return;
	}
	$labels = array(
		'queued'    => __( 'Queued', 'automationtools-ai' ),
		'importing' => __( 'Importing', 'automationtools-ai' ),
		'posted'    => __( 'Posted', 'automationtools-ai' ),
		'skipped'   => __( 'Skipped: same story', 'automationtools-ai' ),
		'held'      => __( 'Waiting for review', 'automationtools-ai' ),
		'discarded' => __( 'Discarded', 'automationtools-ai' ),
		'failed'    => __( 'Failed', 'automationtools-ai' ),
	);
	$skips  = \ATAI\Skips\skips_of( $items );
	$costs  = \ATAI\Costs\by_item( array_column( $items, 'key' ) );
	echo '<table class="widefat striped atai-items"><thead><tr>';
	echo '<th scope="col">' . esc_html__( 'Date', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'Item', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'State', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'Post', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'Checks', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'Cost', 'automationtools-ai' ) . '</th>';
	echo '<th scope="col">' . esc_html__( 'Error and notes', 'automationtools-ai' ) . '</th>';
	echo '</tr></thead><tbody>';
	foreach ( $items as $item ) {
		$title = '' !== $item['title'] ? $item['title'] : $item['link'];
		$post  = $item['post_id'] ? get_post( $item['post_id'] ) : null;
		echo '<tr><td>' . esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), \ATAI\Clock\timestamp( $item['updated_at'] ) ) ) . '</td><td>';
		echo '' !== $item['link'] ? '<a href="' . esc_url( $item['link'] ) . '" rel="noopener noreferrer">' . esc_html( $title ) . '</a>' : esc_html( $title );
		$not_relevant = 'failed' === $item['state'] && 'not_relevant' === $item['error_code'];
		$label        = $labels[ $item['state'] ] ?? $item['state'];
		if ( 'skipped' === $item['state'] && str_starts_with( $item['error_code'], 'filter_' ) ) {
			$label = __( 'Skipped by a filter', 'automationtools-ai' );
		} elseif ( $not_relevant ) {
			$label = __( 'Skipped: not relevant', 'automationtools-ai' );
		}
		echo '</td><td>' . esc_html( $label );
		if ( null !== $item['source_changed'] ) {
			echo '<br /><strong class="atai-source-changed">' . esc_html__( 'Source changed', 'automationtools-ai' ) . '</strong>';
		}
		if ( 'failed' === $item['state'] && ! $not_relevant ) {
			echo '<br /><small>' . esc_html(
				Ledger\retry_note( $item ) ?? ( $item['failed_for_good']
					/* translators: %d: number of attempts. */
					? sprintf( _n( 'Given up after %d attempt', 'Given up after %d attempts', $item['attempts'], 'automationtools-ai' ), $item['attempts'] )
					/* translators: %d: number of attempts. */
					: sprintf( _n( '%d attempt; tried again next run', '%d attempts; tried again next run', $item['attempts'], 'automationtools-ai' ), $item['attempts'] ) )
			) . '</small>';
			if ( $item['failed_for_good'] ) {
				echo \ATAI\Admin\Item_Retry\button( $item ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- button() escapes every part.
			}
		}
		echo '</td><td>';
		$edit = $post ? get_edit_post_link( $post ) : null;
		if ( $edit ) {
			$status = get_post_status_object( $post->post_status );
			echo '<a href="' . esc_url( $edit ) . '">' . esc_html( get_the_title( $post ) ) . '</a> <span class="atai-post-status">(' . esc_html( $status ? $status->label : $post->post_status ) . ')</span>';
		} elseif ( $item['post_id'] ) {
			// The ledger remembers the post so the item is never imported again; the post itself is gone.
			esc_html_e( 'Deleted', 'automationtools-ai' );
		} else {
			echo '—';
		}
		$checks = $item['post_id'] ? \ATAI\Provenance\checks_summary( $item['post_id'] ) : '';
		echo '</td><td>' . esc_html( '' !== $checks ? $checks : '—' );
		$cost = $costs[ $item['key'] ] ?? null;
		echo '</td><td class="atai-cost">' . esc_html( null === $cost ? '—' : \ATAI\Costs\dollars( $cost['micros'] ) . ( $cost['unpriced'] ? ' ' . __( '(a model without a price)', 'automationtools-ai' ) : '' ) );
		echo '</td><td class="atai-error">';
		if ( 'skipped' === $item['state'] ) {
			Items_List\render_skip( $item, $skips[ $item['key'] ] ?? null );
		} else {
			echo esc_html( $item['error_message'] );
		}
		if ( '' !== $item['notes'] ) {
			echo '<ul class="atai-notes"><li>' . implode( '</li><li>', array_map( 'esc_html', explode( "\n", $item['notes'] ) ) ) . '</li></ul>';
		}
		echo '</td></tr>';
	}
	echo '</tbody></table>';
}

/**
 * Stop unless the current user is an administrator and the nonce is right.
 *
 * @since 0.1.0
 */
function check_request( string $nonce_action ): void {
	check_admin_referer( $nonce_action );
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can manage feeds.', 'automationtools-ai' ), 403 );
	}
}

/**
 * The feed ID of a row action request.
 *
 * @since 0.1.0
 */
function requested_feed_id(): int {
	return isset( $_GET['feed'] ) ? absint( $_GET['feed'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- check_request() verifies the nonce, which names this ID.
}

/**
 * Handler of the add/edit form.
 *
 * @since 0.1.0
 */
function handle_save(): void {
	check_request( SAVE_ACTION );
	wp_safe_redirect( save_from_form( wp_unslash( $_POST ) ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- Feeds\validate() checks every field.
	exit;
}

/**
 * Save the posted form; returns where to go next (the list, or the form again with what was typed).
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $post Unslashed form data.
 */
function save_from_form( array $post ): string {
	$feed_id = absint( $post['feed_id'] ?? 0 );
	$input   = array();
	foreach ( Feed::editable() as $field ) {
		$from_form = Feed_Options\definitions()[ $field ]['from_form'] ?? null;
		if ( null !== $from_form ) {
			// A richer control (a table of rows) posts several fields; its option builds its value from them.
			$input[ $field ] = call_user_func( $from_form, $post );
		} elseif ( isset( $post[ $field ] ) && is_scalar( $post[ $field ] ) ) {
			$input[ $field ] = (string) $post[ $field ];
		}
	}
	$source = Add_Feed_View\checked_source( $input, $post, $feed_id ? Feeds\get( $feed_id ) : null );
	if ( is_wp_error( $source ) ) {
		$result = $source;
	} else {
		$result = $feed_id ? Feeds\update( $feed_id, $source['input'] ) : Feeds\create( $source['input'] );
	}
	if ( is_wp_error( $result ) ) {
		if ( 'atai_invalid_feed' === $result->get_error_code() ) {
			$data = $result->get_error_data();
			set_transient(
				FORM_TRANSIENT_PREFIX . get_current_user_id(),
				array(
					'feed_id' => $feed_id,
					'input'   => $input,
					'errors'  => Feeds\field_messages( $result ),
					'offers'  => is_array( $data ) ? array_intersect_key( $data, array_flip( array( 'feeds', 'save_paused' ) ) ) : array(),
				),
				10 * MINUTE_IN_SECONDS
			);
			Notices\add( 'error', __( 'The feed was not saved. Please correct the fields marked below.', 'automationtools-ai' ) );
		} else {
			Notices\add( 'error', $result->get_error_message() );
		}
		if ( $feed_id && 'atai_feed_not_found' === $result->get_error_code() ) {
			return url();
		}
		return $feed_id ? url(
			array(
				'action' => 'edit',
				'feed'   => $feed_id,
			)
		) : url( array( 'action' => 'add' ) );
	}
	if ( $source['from_page'] ) {
		/* translators: %s: the feed's address. */
		Notices\add( 'info', sprintf( __( 'The address is a web page; its feed %s was taken.', 'automationtools-ai' ), $source['input']['url'] ) );
	}
	if ( 'paused' === ( $source['input']['status'] ?? '' ) && ! empty( $post['save_paused'] ) ) {
		Notices\add( 'success', __( 'Feed saved, paused: resume it once its site answers.', 'automationtools-ai' ) );
		return url();
	}
	Notices\add( 'success', $feed_id ? __( 'Feed saved.', 'automationtools-ai' ) : __( 'Feed added. Its first run starts within a minute.', 'automationtools-ai' ) );
	return url();
}

/**
 * Where an action on a feed returns: its own screen when its buttons were used there (following the run), else the list.
 *
 * @since 0.2.0
 */
function back_url( int $feed_id, string $run_id ): string {
	// phpcs:ignore WordPress.Security.NonceVerification.Missing -- check_request() verified the nonce of this post.
	if ( ! isset( $_POST['return'] ) || 'feed' !== $_POST['return'] ) {
		return url();
	}
	return url( array_filter( array( 'action' => 'edit', 'feed' => $feed_id, Run_Panel\RUN_ARG => $run_id ) ) );
}

/**
 * Handler of "Run now".
 *
 * @since 0.1.0
 */
function handle_run(): void {
	$feed_id = requested_feed_id();
	check_request( RUN_ACTION . '_' . $feed_id );
	$feed   = Feeds\get( $feed_id );
	$result = null === $feed ? Feeds\not_found( $feed_id ) : Runs\dispatch( $feed );
	if ( is_wp_error( $result ) ) {
		Notices\add( 'error', $result->get_error_message() );
	} else {
		Notices\add( 'success', __( 'The feed was sent to the worker. Its posts appear as soon as the worker hands them back, usually within a minute or two.', 'automationtools-ai' ) );
	}
	wp_safe_redirect( back_url( $feed_id, is_wp_error( $result ) ? '' : $result['run_id'] ) );
	exit;
}

/**
 * Handler of Pause / Resume.
 *
 * @since 0.1.0
 */
function handle_toggle(): void {
	$feed_id = requested_feed_id();
	check_request( TOGGLE_ACTION . '_' . $feed_id );
	$feed   = Feeds\get( $feed_id );
	$status = ( $feed && 'active' === $feed->status ) ? 'paused' : 'active';
	$result = null === $feed ? Feeds\not_found( $feed_id ) : Feeds\set_status( $feed_id, $status );
	if ( is_wp_error( $result ) ) {
		Notices\add( 'error', $result->get_error_message() );
	} else {
		Notices\add( 'success', 'paused' === $status ? __( 'Feed paused.', 'automationtools-ai' ) : __( 'Feed resumed.', 'automationtools-ai' ) );
	}
	wp_safe_redirect( back_url( $feed_id, '' ) );
	exit;
}

/**
 * Handler of Delete.
 *
 * @since 0.1.0
 */
function handle_delete(): void {
	$feed_id = requested_feed_id();
	check_request( DELETE_ACTION . '_' . $feed_id );
	$result = Feeds\delete( $feed_id );
	if ( is_wp_error( $result ) ) {
		Notices\add( 'error', $result->get_error_message() );
	} else {
		Notices\add( 'success', __( 'Feed deleted. The posts it made stay.', 'automationtools-ai' ) );
	}
	wp_safe_redirect( url() );
	exit;
}

